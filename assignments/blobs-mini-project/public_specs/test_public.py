"""Public checks of the blobs mini-project: the objects exist and have the right form.

Students run these with `grade check`. They use four made-up points only: no hidden data,
no accuracy threshold, no check of the exact split or the exact layers. Passing them says
the grader can find and use your objects; the hidden checks decide the grade.
"""

import numpy as np
import pytest

POINTS = np.array([[0.0, 0.0], [5.0, -3.0], [-8.0, 7.5], [2.5, 9.0]], dtype=np.float32)
TENSORS = {"X_train": "torch.float32", "X_test": "torch.float32", "y_train": "torch.int64", "y_test": "torch.int64"}


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_tensors_have_the_asked_dtypes(submission):
    """X_train and X_test are float32 tensors of 2-D points, y_train and y_test int64 label tensors"""
    wrong = []
    for key, dtype in TENSORS.items():
        info = submission.tensor(key)
        dims = 2 if key.startswith("X") else 1
        if info.dtype != dtype or len(info.shape) != dims or (dims == 2 and info.shape[1] != 2):
            wrong.append(f"{submission.resolve(key)} is {info.dtype} of shape {info.shape}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_gives_eight_scores_per_point(submission):
    """blobs_model takes points with 2 features and gives 8 class scores per point"""
    out = submission.forward("blobs_model", POINTS)
    assert out.shape == (4, 8), f"4 points in should give shape (4, 8); got {out.shape}"


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_loss_and_optimizer_exist(submission):
    """loss_fn is a loss module and optimizer updates every parameter of blobs_model"""
    assert submission.type_name("loss_fn").endswith("Loss"), "loss_fn should be a loss module from torch.nn"
    info = submission.optimizer("optimizer", "blobs_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"the optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex4")
@pytest.mark.points(1)
def test_curves_are_lists_of_numbers(submission):
    """train_losses and test_accs are non-empty lists of numbers"""
    empty = [submission.resolve(key) for key in ("train_losses", "test_accs") if submission.array(key).size == 0]
    assert not empty, f"empty curves: {', '.join(empty)}; append one value per epoch"


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_one_prediction_per_test_point(submission):
    """test_pred holds one class number per point of X_test"""
    predicted, test_points = submission.tensor("test_pred"), submission.tensor("X_test")
    assert predicted.shape == test_points.shape[:1], (
        f"{submission.resolve('test_pred')} has shape {predicted.shape}; X_test has {test_points.shape[0]} points"
    )
