"""Ex 5: the model's predicted classes for the test set, and the decision boundaries."""

import numpy as np
import pytest

from grader.spec import boundary_cells, class_labels

# Agreement with the model's own argmax; a point exactly between two classes may round differently.
AGREEMENT = 0.995


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_predictions_are_the_models_classes_for_the_test_set(submission, blobs_split):
    """test_pred holds, for each of the 2000 test points, the class with the model's highest score"""
    _, X_test, _, _ = blobs_split
    predicted = submission.array("test_pred").reshape(-1)
    assert predicted.shape == (len(X_test),), (
        f"{submission.resolve('test_pred')} holds {predicted.size} values; predict one class per test point ({len(X_test)})"
    )
    expected = class_labels(submission.forward("blobs_model", X_test))
    agreement = float(np.mean(predicted == expected))
    assert agreement >= AGREEMENT, (
        f"{submission.resolve('test_pred')} agrees with the model's most likely class on {agreement:.1%} of "
        "X_test; take the argmax of the softmax of the model's scores on X_test"
    )


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_decision_boundaries_are_plotted(submission):
    """A cell that calls the model on a grid of points draws a figure (its decision boundaries)"""
    drawn = boundary_cells(submission, "blobs_model")
    assert drawn, "no cell drew a figure while calling the model on a grid of points; plot the boundaries"
