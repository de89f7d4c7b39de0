"""The topics of the quiz coverage list (COURSE_SPEC "Quiz coverage"), in course order."""

from __future__ import annotations

from optigrade.i18n import Text

#: topic id -> its title in both languages; the order is the order of a sheet.
TOPICS: dict[str, Text] = {
    "notation": Text(ko="표기법", en="Notation"),
    "gd_variants": Text(
        ko="배치·미니배치·확률적 경사 하강법", en="Batch vs mini-batch vs stochastic GD"
    ),
    "ewma": Text(ko="지수가중이동평균", en="Exponentially weighted averages"),
    "bias_correction": Text(ko="편향 보정", en="Bias correction"),
    "momentum": Text(ko="모멘텀", en="Momentum"),
    "adagrad": Text(ko="AdaGrad", en="AdaGrad"),
    "rmsprop": Text(ko="RMSProp", en="RMSProp"),
    "adam": Text(ko="Adam", en="Adam"),
    "lr_decay": Text(ko="학습률 감쇠", en="Learning-rate decay"),
    "optima": Text(ko="지역 최적점·안장점·고원", en="Local optima, saddle points, plateaus"),
    "vanishing": Text(
        ko="기울기 소실과 활성화 함수의 도함수",
        en="Vanishing gradients and activation derivatives",
    ),
    "init": Text(ko="Xavier/He 초기화", en="Xavier/He initialization"),
    "batchnorm": Text(ko="배치 정규화", en="Batch normalization"),
    "hparam_search": Text(ko="하이퍼파라미터 탐색", en="Hyper-parameter search"),
    "backprop": Text(ko="역전파와 연쇄 법칙", en="Backpropagation and the chain rule"),
}

KINDS: tuple[str, ...] = ("recall", "computation", "situation")
TYPES: tuple[str, ...] = ("single", "multiple", "truefalse", "numeric", "short", "matching")
