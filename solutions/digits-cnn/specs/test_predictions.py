"""Ex 5: the model's predicted classes for the test images."""

import numpy as np
import pytest

from grader.spec import class_labels

AGREEMENT = 0.995  # agreement with the model's own argmax; a tie between two scores may round differently


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_predictions_are_the_models_classes_for_the_test_images(submission, digits_split):
    """test_pred holds, for each of the 360 test images, the class with the model's highest score"""
    _, X_test, _, _ = digits_split
    predicted = submission.array("test_pred").reshape(-1)
    assert predicted.shape == (len(X_test),), (
        f"{submission.resolve('test_pred')} holds {predicted.size} values; predict one class per test image ({len(X_test)})"
    )
    expected = class_labels(submission.forward("digits_model", submission.array("X_test")))
    agreement = float(np.mean(predicted == expected))
    assert agreement >= AGREEMENT, (
        f"{submission.resolve('test_pred')} agrees with the model's most likely class on {agreement:.1%} of "
        "X_test; take the argmax of the model's scores on X_test"
    )
