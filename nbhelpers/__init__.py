"""Helpers for the notebook series "A neural net from scratch: digits 2 vs 6".

Importing this package is cheap: nothing heavy is imported and nothing happens
at import time.  Import what you need from the submodules:

    nbhelpers.data    finding MNIST and vectorizing a pair of digits (notebook 01)
    nbhelpers.model   parameters, predictions, accuracy and the loss (notebooks 02-04)
    nbhelpers.train   minibatch training pieces (notebook 05)
    nbhelpers.setup   the first cell of every notebook: seed, quiet warnings
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
