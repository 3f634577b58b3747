"""Ex 2: a convolutional network from (N, 1, 8, 8) images to 10 class scores."""

import numpy as np
import pytest

# ATen operators a 2-D convolution dispatches as (the probe records the forward pass's operators).
CONVOLUTION_OPS = frozenset({"convolution", "_convolution", "conv2d", "cudnn_convolution", "mkldnn_convolution"})


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_maps_images_to_ten_scores(submission):
    """The model maps a batch of (N, 1, 8, 8) images to (N, 10) class scores"""
    out = submission.forward("digits_model", np.zeros((5, 1, 8, 8), dtype=np.float32))
    assert out.shape == (5, 10), f"a batch of 5 images gave outputs of shape {out.shape}; expected (5, 10)"


@pytest.mark.exercise("ex2")
@pytest.mark.points(2)
def test_model_convolves_the_images(submission):
    """The model holds an nn.Conv2d and its forward pass runs a 2-D convolution over the images"""
    layers = [f"{name} ({kind})" for name, kind, module in submission.structure("digits_model") if kind == "Conv2d"]
    assert layers, (
        f"{submission.resolve('digits_model')} has no nn.Conv2d layer; a fully connected network is not a CNN"
    )
    ops = set(submission.forward_ops("digits_model", np.zeros((2, 1, 8, 8), dtype=np.float32)))
    assert ops & CONVOLUTION_OPS, f"the forward pass never convolves (its operators: {', '.join(sorted(ops))})"
