"""Helpers for the notebook series "A neural net from scratch: digits 2 vs 6".

Importing this package is cheap and does nothing. What is public, by module (each module's
`__all__`), and the notebook that teaches it:

    nbhelpers.data        load_pair (01), load_digits (08); load_arrays, scaled, read_pngs
    nbhelpers.mnist       mnist_path, MNIST, MNISTError, cache_dir, write_atomically (01)
    nbhelpers.baseline    pixel_similarity (02)
    nbhelpers.model       init_params, linear, accuracy (02), mnist_loss (03)
    nbhelpers.train       calc_grad, train_epoch, validate_epoch, BasicOptim (05)
    nbhelpers.plots       show_digit, show_digits, show_weights, plot_curves, plot_confusion
    nbhelpers.thresholds  TARGETS_2V6, min_accuracy, min_accuracy_ten: what the assertion cells demand
    nbhelpers.checks      the exercises' checkers: check_sigmoid, check_loss, ...
    nbhelpers.setup       setup_notebook: the first code cell of every notebook; record: a headline as data
    nbhelpers.doctor      `python -m nbhelpers.doctor`: is this machine ready (versions, data, memory)?
"""
