"""Public checks of Assignment 6: the objects exist and have the right form.

Students run these with `grade check`. They use made-up inputs only: no hidden data, no
accuracy thresholds, no check of the values an exercise asks you to work out. Passing them
says the grader can find and use your objects; the hidden checks decide the grade.
"""

import numpy as np
import pytest

POINTS = np.array([[0.0, 0.0], [0.5, -0.5], [-1.0, 0.25], [1.0, 1.0]], dtype=np.float32)
CURVES = ("baseline_train_losses", "baseline_test_losses", "baseline_train_accs", "baseline_test_accs")


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_shapes_are_recorded(submission):
    """X_circles_shape and y_circles_shape hold shapes, n_features a number"""
    assert submission.array("circles_n_features").size == 1, "n_features should be a single number"
    for key in ("circles_X_shape", "circles_y_shape"):
        value = submission.array(key)
        assert value.ndim == 1 and value.size >= 1, f"{submission.resolve(key)} should be a shape such as (10, 2)"


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_split_tensors_are_float32(submission):
    """X_train, X_test, y_train and y_test are float32 tensors"""
    keys = ("circles_X_train", "circles_X_test", "circles_y_train", "circles_y_test")
    wrong = [f"{submission.resolve(k)} is {submission.tensor(k).dtype}" for k in keys if submission.tensor(k).dtype != "torch.float32"]
    assert not wrong, "expected torch.float32: " + "; ".join(wrong)


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_baseline_gives_one_logit_per_point(submission):
    """baseline_model takes points with 2 features and gives one logit per point"""
    out = submission.forward("baseline_model", POINTS)
    assert out.shape in {(4, 1), (4,)}, f"4 points in should give shape (4, 1); got {out.shape}"


@pytest.mark.exercise("ex4")
@pytest.mark.points(1)
def test_loss_and_optimizer_exist(submission):
    """loss_fn is a loss module and optimizer updates baseline_model"""
    assert submission.type_name("baseline_loss").endswith("Loss"), "loss_fn should be a loss module from torch.nn"
    info = submission.optimizer("baseline_optimizer", "baseline_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"the optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_curves_are_lists_of_numbers(submission):
    """train_losses, test_losses, train_accs and test_accs are non-empty lists of numbers"""
    empty = [submission.resolve(key) for key in CURVES if submission.array(key).size == 0]
    assert not empty, f"empty curves: {', '.join(empty)}; append one value per epoch"


@pytest.mark.exercise("ex6")
@pytest.mark.points(1)
def test_circles_model_gives_one_logit_per_point(submission):
    """circles_model takes points with 2 features and gives one logit per point"""
    out = submission.forward("circles_model", POINTS)
    assert out.shape in {(4, 1), (4,)}, f"4 points in should give shape (4, 1); got {out.shape}"


@pytest.mark.exercise("ex7")
@pytest.mark.points(1)
def test_circles_optimizer_updates_the_model(submission):
    """circles_optimizer updates every parameter of circles_model"""
    info = submission.optimizer("circles_optimizer", "circles_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"circles_optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex9")
@pytest.mark.points(1)
def test_blobs_model_gives_four_scores_per_point(submission):
    """blobs_model takes points with 2 features and gives 4 class scores per point"""
    out = submission.forward("blobs_model", POINTS)
    assert out.shape == (4, 4), f"4 points in should give shape (4, 4); got {out.shape}"
