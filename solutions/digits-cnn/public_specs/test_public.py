"""Public checks of the digits CNN: the objects exist and have the right form.

Students run these with `grade check`. They use four made-up images only: no hidden data, no
accuracy threshold, no check of the exact split. Passing them says the grader can find and use
your objects; the hidden checks decide the grade.
"""

import numpy as np
import pytest

# four made-up 8x8 images: blank, full, a vertical bar, a horizontal bar
IMAGES = np.zeros((4, 1, 8, 8), dtype=np.float32)
IMAGES[1] = 1.0
IMAGES[2, 0, :, 3:5] = 1.0
IMAGES[3, 0, 3:5, :] = 1.0
TENSORS = {"X_train": "torch.float32", "X_test": "torch.float32", "y_train": "torch.int64", "y_test": "torch.int64"}


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_tensors_are_images_and_labels(submission):
    """X_train and X_test are float32 (N, 1, 8, 8) image tensors, y_train and y_test int64 label tensors"""
    wrong = []
    for key, dtype in TENSORS.items():
        info = submission.tensor(key)
        shape_ok = info.shape[1:] == (1, 8, 8) if key.startswith("X") else len(info.shape) == 1
        if info.dtype != dtype or not shape_ok:
            wrong.append(f"{submission.resolve(key)} is {info.dtype} of shape {info.shape}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_gives_ten_scores_per_image(submission):
    """digits_model takes (N, 1, 8, 8) images and gives 10 class scores per image"""
    out = submission.forward("digits_model", IMAGES)
    assert out.shape == (4, 10), f"4 images in should give shape (4, 10); got {out.shape}"


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_loss_and_optimizer_exist(submission):
    """loss_fn is a loss module and optimizer updates every parameter of digits_model"""
    assert submission.type_name("loss_fn").endswith("Loss"), "loss_fn should be a loss module from torch.nn"
    info = submission.optimizer("optimizer", "digits_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"the optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex4")
@pytest.mark.points(1)
def test_curves_are_lists_of_numbers(submission):
    """train_losses and test_accs are non-empty lists of numbers"""
    losses, accs = submission.array("train_losses"), submission.array("test_accs")
    assert losses.size and accs.size, "append one value to each list per epoch"
    assert np.isfinite(losses).all() and np.isfinite(accs).all(), "the curves should hold finite numbers"


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_predictions_are_one_label_per_test_image(submission):
    """test_pred holds one whole-number class per image of X_test"""
    predicted, images = submission.tensor("test_pred"), submission.tensor("X_test")
    assert predicted.shape == images.shape[:1], f"test_pred has shape {predicted.shape}; X_test has {images.shape[0]} images"
    assert predicted.dtype == "torch.int64", f"test_pred is {predicted.dtype}; the argmax gives int64 classes"
