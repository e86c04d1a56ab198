"""The motion frame: a motion's target and whether it leans for or against it (rules, no model)."""

from __future__ import annotations

import pytest

from bot.engine.motion_frame import MotionFrame, motion_frame

# motions written for this test, in none of the training data
CASES = [
    ("This house would ban homework in primary schools", "homework in primary schools", -1),
    ("THW ban homework", "homework", -1),
    ("This house would not ban homework", "homework", 1),
    ("We should legalise e-scooters on pavements", "legalise e-scooters on pavements", 1),
    ("This house believes that social media does more harm than good", "social media", -1),
    ("This house believes that zoos are immoral", "zoos", -1),
    ("Zoos are not immoral", "Zoos", 1),
    ("Tipping should be abolished", "Tipping", -1),
    ("This house regrets the rise of influencer culture", "rise of influencer culture", -1),
    ("THR the rise of influencer culture", "rise of influencer culture", -1),
    ("This house opposes nuclear power", "nuclear power", -1),
    ("This house supports a four-day working week", "four-day working week", 1),
    ("This house believes that the space race was justified", "space race", 1),
    ("This house believes it is right for schools to restrict phones", "phones", -1),
    ("This house believes that cities should not subsidise car parking", "subsidise car parking", -1),
    ("Sanctions on Cuba should be lifted", "Sanctions on Cuba", -1),
    ("We should fight for the abolition of daylight saving time", "daylight saving time", -1),
    ("The Hanoi summit was a failure", "Hanoi summit", -1),
    ("This house supports suspending the joint military exercises", "joint military exercises", -1),
]


@pytest.mark.parametrize(("motion", "target", "polarity"), CASES)
def test_target_and_polarity(motion: str, target: str, polarity: int) -> None:
    assert motion_frame(motion) == MotionFrame(target, polarity)


def test_any_text_gets_a_frame() -> None:
    for text in ["", "   ", "ban", "not", "!!!", "x" * 5000, "Ж ban Ж", "@everyone should be banned"]:
        f = motion_frame(text)
        assert f.polarity in (1, -1)
        assert isinstance(f.target, str)


@pytest.mark.parametrize(("motion", "target", "polarity"), [
    ("This house believes the four-day week trial should continue", "four-day week trial", 1),
    ("The tax on sugar should not continue", "tax on sugar", -1),
    ("This house believes that the festival must end", "festival", -1),
])
def test_a_modal_verb_that_keeps_or_ends_the_target(motion: str, target: str, polarity: int) -> None:
    assert motion_frame(motion) == MotionFrame(target, polarity)
