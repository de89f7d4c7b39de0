"""The texts of the feedback's pictures (captions, legends, alt text), in Korean and English."""

from __future__ import annotations

from optigrade.i18n import Text

REFERENCE = Text(ko="정답 (참조 구현)", en="reference")
STUDENT = Text(ko="내 코드", en="your code")
DATA = Text(ko="데이터", en="data")
EPOCH = Text(ko="epoch", en="epoch")
DAY = Text(ko="t (날짜)", en="t (day)")

PATH_TITLE = Text(
    ko="{item}의 경로: f(x, y) = x²/20 + y² 위에서 (−7, 2)부터, 정답과 내 코드",
    en="{item}'s path on f(x, y) = x²/20 + y² from (−7, 2): the reference's and yours",
)
PATH_CAPTION = Text(
    ko="{item}(lr={lr})로 f(x, y) = x²/20 + y² 위를 (−7, 2)에서 시작해 update를 {steps}번 "
    "한 경로입니다 (강의 노트의 그림). 파란 실선이 정답, 빨간 점선이 여러분의 코드입니다. "
    "동그라미가 시작점, 십자가 최솟값 (0, 0)입니다.",
    en="The path of {item}(lr={lr}) on f(x, y) = x²/20 + y² over {steps} updates from "
    "(−7, 2) (the lecture notes' picture): the reference in solid blue, your code in dashed "
    "red. The circle is the start, the cross the minimum (0, 0).",
)
EWMA_TITLE = Text(
    ko="ewma 곡선: 정답과 내 코드, 잡음 섞인 데이터 위에",
    en="ewma curves over noisy data: the reference's and yours",
)
EWMA_CAPTION = Text(
    ko="잡음 섞인 데이터 {count}개(회색 점)에 ewma(theta, beta=0.9, bias_correction=True)를 "
    "적용한 곡선입니다. 파란 실선이 정답, 빨간 점선이 여러분의 코드입니다.",
    en="ewma(theta, beta=0.9, bias_correction=True) over {count} noisy values (grey dots): "
    "the reference in solid blue, your code in dashed red.",
)
SCHEDULE_TITLE = Text(
    ko="{item}: epoch에 따른 학습률, 정답과 내 코드",
    en="{item}: the learning rate over the epochs, the reference's and yours",
)
SCHEDULE_CAPTION = Text(
    ko="{call}의 학습률을 epoch {first}부터 {last}까지 그린 것입니다. 파란 실선이 정답, "
    "빨간 점선이 여러분의 코드입니다.",
    en="The learning rate of {call} for epochs {first} to {last}: the reference in solid "
    "blue, your code in dashed red.",
)
CLIPPED = Text(
    ko="여러분의 값 중 그림 밖으로 나간 것은 가장자리에 그렸습니다.",
    en="Values of yours outside the frame are drawn at its edge.",
)
ENDED = Text(
    ko="여러분의 코드는 {count}번째 점 이후 그릴 수 있는 값(유한한 수)을 내지 않았습니다.",
    en="Your code gave no drawable (finite) value after point {count}.",
)
IN_HTML = Text(
    ko="(그림은 HTML 피드백에서 볼 수 있습니다.)",
    en="(The picture is in the HTML feedback.)",
)
