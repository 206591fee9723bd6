"""A baseline that needs no training: the pixel-similarity model.

Written first in notebooks/02_accuracy_as_loss.ipynb, in a cell tagged `export`.
"""

__all__ = ["pixel_similarity"]


def pixel_similarity(train_x, train_y, valid_x, valid_y):
    "Accuracy of calling each validation image the digit whose mean training image is nearer, pixel by pixel (introduced in 02_accuracy_as_loss)."
    mean_a = train_x[train_y[:, 0] == 0].mean(0)
    mean_b = train_x[train_y[:, 0] == 1].mean(0)
    dist_a = (valid_x - mean_a).abs().mean(1, keepdim=True)
    dist_b = (valid_x - mean_b).abs().mean(1, keepdim=True)
    return ((dist_b < dist_a).float() == valid_y).float().mean().item()
