"""Other ways to write an item: accepted equivalents and named, known mistakes.

The grader compares a student's outputs with the reference first; when they differ it also
tries the *equivalents* (formulations the grading policy accepts, e.g. ε inside the square
root) before calling the answer wrong, and then the *mistakes*, to tell the student which known
error the output matches. Every variant is a few lines, written against the same contract as
the reference, so that a hidden test can run it exactly as it runs the student's code.

Each entry maps an item name to a list of :class:`Variant`; a variant's ``impl`` replaces the
item's reference implementation (a class or a function with the reference's signature).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from optigrade.i18n import Text
from solutions import init as _init
from solutions import optimizers as _opt
from solutions import schedules as _sched


@dataclass(frozen=True)
class Variant:
    id: str
    item: str
    impl: Any
    label: Text
    #: One line on how to fix it, for the feedback ("divide m by 1 - beta1**t"). Every mistake
    #: has one (``tests/test_variants_hints.py``); equivalents need none.
    hint: Text | None = None
    #: The variant as a student writes it, where one is given: ``(old, new)``, an edit of the
    #: reference's source of the item (``examples/students.py`` writes the demo class and the
    #: test fixtures with it; ``tests/test_hidden_suites.py`` requires the hidden suite to name the
    #: edited reference as this variant).
    edit: tuple[str, str] | None = None


EQUIVALENTS: dict[str, list[Variant]] = {}
MISTAKES: dict[str, list[Variant]] = {}


def register(  # noqa: ANN201
    kind: dict[str, list[Variant]],
    item: str,
    id: str,
    ko: str,
    en: str,
    hint: Text | None = None,
):
    """Class/function decorator adding a variant of ``item`` to ``EQUIVALENTS`` or ``MISTAKES``
    (a mistake's fix ``hint`` may come here or later from :func:`add_hint`)."""

    def add(impl: Any) -> Any:
        kind.setdefault(item, []).append(Variant(id, item, impl, Text(ko=ko, en=en), hint))
        return impl

    return add


# The variants below subclass the reference (optimizers) or reuse its helpers (functions), so each
# one states only what it changes. Their state is created lazily per key with ``dict.get(key, 0)``
# (a zero that broadcasts), which lets a variant call ``update`` on a subset of the keys.

Arrays = dict[str, np.ndarray]


# -- SGD ---------------------------------------------------------------------------------------


@register(
    MISTAKES,
    "SGD",
    "sgd_plus_sign",
    "경사를 빼지 않고 더함 (w += lr*g)",
    "adds the gradient instead of subtracting it (w += lr*g)",
)
class SGDPlusSign(_opt.SGD):
    def update(self, params: Arrays, grads: Arrays) -> None:
        for key in params:
            params[key] += self.lr * grads[key]


# -- Momentum ----------------------------------------------------------------------------------


class _Momentum(_opt.Momentum):
    """Momentum with its two formulas as hooks: ``v = velocity(v, g)``, then ``w += move(v)``."""

    def update(self, params: Arrays, grads: Arrays) -> None:
        self.v = self.v or {}
        for key in params:
            self.v[key] = self.velocity(self.v.get(key, 0.0), grads[key])
            params[key] += self.move(self.v[key])

    def velocity(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return self.momentum * v - self.lr * g

    def move(self, v: np.ndarray) -> np.ndarray:
        return v


@register(
    MISTAKES,
    "Momentum",
    "momentum_ewma_form",
    "(1 - beta) 지수가중평균 형태: v = m*v + (1-m)*g; w -= lr*v "
    "(이 과제의 식은 v = m*v - lr*g; w += v)",
    "the (1 - beta) EWMA form: v = m*v + (1-m)*g; w -= lr*v "
    "(this assignment uses v = m*v - lr*g; w += v)",
)
class MomentumEwmaForm(_Momentum):
    def velocity(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return self.momentum * v + (1 - self.momentum) * g

    def move(self, v: np.ndarray) -> np.ndarray:
        return -self.lr * v


# v = m*v + lr*g; w += v gives the same numbers as this one (its v is the negative of ours).
@register(
    MISTAKES,
    "Momentum",
    "momentum_sign_error",
    "부호 오류: v = m*v - lr*g 인데 w -= v (또는 v = m*v + lr*g 인데 w += v)",
    "sign error: v = m*v - lr*g but w -= v (or v = m*v + lr*g but w += v)",
)
class MomentumSignError(_Momentum):
    def move(self, v: np.ndarray) -> np.ndarray:
        return -v


@register(
    MISTAKES,
    "Momentum",
    "momentum_state_reset",
    "update를 호출할 때마다 속도 v를 0으로 다시 만듦 (상태가 이어지지 않음)",
    "the velocity v is reset to zero on every update call (no state carried over)",
)
class MomentumStateReset(_Momentum):
    def update(self, params: Arrays, grads: Arrays) -> None:
        self.v = None
        super().update(params, grads)


# -- AdaGrad and RMSProp -----------------------------------------------------------------------


class _Adaptive:
    """AdaGrad/RMSProp with hooks: ``h = accumulate(h, g)``, then ``w -= step(g, h)``."""

    lr: float
    eps: float
    h: Arrays | None

    def update(self, params: Arrays, grads: Arrays) -> None:
        self.h = self.h or {}
        for key in params:
            self.h[key] = self.accumulate(self.h.get(key, 0.0), grads[key])
            params[key] -= self.step(grads[key], self.h[key])

    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def step(self, g: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self.lr * g / (np.sqrt(h) + self.eps)


class _AdaGrad(_Adaptive, _opt.AdaGrad):
    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        return h + g * g


class _RMSProp(_Adaptive, _opt.RMSProp):
    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        return self.beta * h + (1 - self.beta) * g * g


class _EpsInsideSqrt:
    lr: float
    eps: float

    def step(self, g: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self.lr * g / np.sqrt(h + self.eps)


class _NoSqrt:
    lr: float
    eps: float

    def step(self, g: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self.lr * g / (h + self.eps)


class _StateReset(_Adaptive):
    def update(self, params: Arrays, grads: Arrays) -> None:
        self.h = None
        super().update(params, grads)


_EPS_INSIDE = (
    "ε를 제곱근 안에 넣음: g / sqrt(h + eps)",
    "ε inside the square root: g / sqrt(h + eps)",
)
_NO_SQRT = (
    "제곱근 없이 h로 나눔: g / (h + eps)",
    "divides by h without the square root: g / (h + eps)",
)
_RESET = (
    "update를 호출할 때마다 h를 0으로 다시 만듦 (상태가 이어지지 않음)",
    "h is reset to zero on every update call (no state carried over)",
)


@register(EQUIVALENTS, "AdaGrad", "adagrad_eps_inside_sqrt", *_EPS_INSIDE)
class AdaGradEpsInsideSqrt(_EpsInsideSqrt, _AdaGrad):
    pass


@register(
    MISTAKES,
    "AdaGrad",
    "adagrad_g_not_squared",
    "g*g 대신 g를 누적함: h += g",
    "accumulates g instead of g*g: h += g",
)
class AdaGradGNotSquared(_AdaGrad):
    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        return h + g


@register(MISTAKES, "AdaGrad", "adagrad_no_sqrt", *_NO_SQRT)
class AdaGradNoSqrt(_NoSqrt, _AdaGrad):
    pass


@register(MISTAKES, "AdaGrad", "adagrad_state_reset", *_RESET)
class AdaGradStateReset(_StateReset, _AdaGrad):
    pass


@register(EQUIVALENTS, "RMSProp", "rmsprop_eps_inside_sqrt", *_EPS_INSIDE)
class RMSPropEpsInsideSqrt(_EpsInsideSqrt, _RMSProp):
    pass


@register(
    MISTAKES,
    "RMSProp",
    "rmsprop_g_not_squared",
    "g*g 대신 g의 평균을 냄: h = beta*h + (1-beta)*g",
    "averages g instead of g*g: h = beta*h + (1-beta)*g",
)
class RMSPropGNotSquared(_RMSProp):
    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        return self.beta * h + (1 - self.beta) * g


@register(
    MISTAKES,
    "RMSProp",
    "rmsprop_beta_swapped",
    "beta와 1-beta가 바뀜: h = (1-beta)*h + beta*g*g",
    "beta and 1-beta swapped: h = (1-beta)*h + beta*g*g",
)
class RMSPropBetaSwapped(_RMSProp):
    def accumulate(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        return (1 - self.beta) * h + self.beta * g * g


@register(MISTAKES, "RMSProp", "rmsprop_no_sqrt", *_NO_SQRT)
class RMSPropNoSqrt(_NoSqrt, _RMSProp):
    pass


@register(
    MISTAKES,
    "RMSProp",
    "rmsprop_book_signature",
    "교재의 형태 RMSprop(lr=0.01, decay_rate=0.99)를 씀: beta와 eps 인자가 없고 "
    "β의 기본값이 0.99임 (과제는 RMSProp(lr=0.01, beta=0.9, eps=1e-7))",
    "the textbook's RMSprop(lr=0.01, decay_rate=0.99): no beta or eps argument, and β defaults "
    "to 0.99 (the assignment asks for RMSProp(lr=0.01, beta=0.9, eps=1e-7))",
)
class RMSPropBookSignature(_RMSProp):
    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__(lr, decay_rate, 1e-7)


@register(MISTAKES, "RMSProp", "rmsprop_state_reset", *_RESET)
class RMSPropStateReset(_StateReset, _RMSProp):
    pass


# -- Adam --------------------------------------------------------------------------------------


class _Adam(_opt.Adam):
    """Adam with hooks: ``v`` averages ``square(g)`` and the step is ``step(m, v, t)``."""

    def update(self, params: Arrays, grads: Arrays) -> None:
        self.m, self.v = self.m or {}, self.v or {}
        self.t += 1
        for key in params:
            g = grads[key]
            self.m[key] = self.beta1 * self.m.get(key, 0.0) + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v.get(key, 0.0) + (1 - self.beta2) * self.square(g)
            params[key] -= self.step(self.m[key], self.v[key], self.t)

    def square(self, g: np.ndarray) -> np.ndarray:
        return g * g

    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        m_hat, v_hat = m / (1 - self.beta1**t), v / (1 - self.beta2**t)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def folded_lr(self, t: int) -> float:
        """The step size with both bias corrections folded in, as some textbooks write Adam."""
        return self.lr * np.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)


@register(
    EQUIVALENTS,
    "Adam",
    "adam_eps_inside_sqrt",
    "ε를 제곱근 안에 넣음: m_hat / sqrt(v_hat + eps)",
    "ε inside the square root: m_hat / sqrt(v_hat + eps)",
)
class AdamEpsInsideSqrt(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        m_hat, v_hat = m / (1 - self.beta1**t), v / (1 - self.beta2**t)
        return self.lr * m_hat / np.sqrt(v_hat + self.eps)


@register(
    EQUIVALENTS,
    "Adam",
    "adam_folded_bias_correction",
    "편향 보정을 학습률에 합침: lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t); w -= lr_t*m/(sqrt(v)+eps)",
    "bias correction folded into the step size: "
    "lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t); w -= lr_t*m/(sqrt(v)+eps)",
)
class AdamFoldedBiasCorrection(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.folded_lr(t) * m / (np.sqrt(v) + self.eps)


@register(
    EQUIVALENTS,
    "Adam",
    "adam_folded_eps_inside_sqrt",
    "편향 보정을 학습률에 합치고 ε를 제곱근 안에 넣음: lr_t*m/sqrt(v+eps)",
    "bias correction folded into the step size and ε inside the root: lr_t*m/sqrt(v+eps)",
)
class AdamFoldedEpsInsideSqrt(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.folded_lr(t) * m / np.sqrt(v + self.eps)


@register(
    MISTAKES,
    "Adam",
    "adam_no_bias_correction",
    "편향 보정이 없음: m / (sqrt(v) + eps)를 그대로 씀",
    "no bias correction: uses m / (sqrt(v) + eps) directly",
)
class AdamNoBiasCorrection(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.lr * m / (np.sqrt(v) + self.eps)


@register(
    MISTAKES,
    "Adam",
    "adam_corrects_only_m",
    "m만 편향 보정하고 v는 보정하지 않음",
    "bias-corrects m but not v",
)
class AdamCorrectsOnlyM(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.lr * m / (1 - self.beta1**t) / (np.sqrt(v) + self.eps)


@register(
    MISTAKES,
    "Adam",
    "adam_corrects_only_v",
    "v만 편향 보정하고 m은 보정하지 않음",
    "bias-corrects v but not m",
)
class AdamCorrectsOnlyV(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.lr * m / (np.sqrt(v / (1 - self.beta2**t)) + self.eps)


@register(
    MISTAKES,
    "Adam",
    "adam_g_not_squared",
    "v에 g*g 대신 g의 평균을 냄: v = beta2*v + (1-beta2)*g",
    "v averages g instead of g*g: v = beta2*v + (1-beta2)*g",
)
class AdamGNotSquared(_Adam):
    def square(self, g: np.ndarray) -> np.ndarray:
        return g


@register(
    MISTAKES,
    "Adam",
    "adam_t_not_incremented",
    "t가 늘지 않고 1에 머묾 (편향 보정이 항상 t = 1로 계산됨)",
    "t never grows past 1 (bias correction always uses t = 1)",
)
class AdamTNotIncremented(_Adam):
    def step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return super().step(m, v, 1)


@register(
    MISTAKES,
    "Adam",
    "adam_t_per_key",
    "t를 update 한 번에 한 번이 아니라 키(매개변수)마다 늘림",
    "t is incremented once per key (parameter) instead of once per update call",
)
class AdamTPerKey(_Adam):
    def update(self, params: Arrays, grads: Arrays) -> None:
        for key in params:
            one = {key: params[key]}
            super().update(one, {key: grads[key]})
            params[key] = one[key]  # the step rebinds a Python number; keep it


@register(
    MISTAKES,
    "Adam",
    "adam_t_starts_at_1",
    "t가 0이 아니라 1에서 시작해 첫 update에서 t = 2가 됨 (하나 어긋남)",
    "t starts at 1 instead of 0, so the first update uses t = 2 (off by one)",
)
class AdamTStartsAt1(_Adam):
    def __init__(self, *args: float, **kwargs: float) -> None:
        super().__init__(*args, **kwargs)
        self.t = 1


@register(
    MISTAKES,
    "Adam",
    "adam_state_reset",
    "update를 호출할 때마다 m과 v를 0으로 다시 만듦 (상태가 이어지지 않음)",
    "m and v are reset to zero on every update call (no state carried over)",
)
class AdamStateReset(_Adam):
    def update(self, params: Arrays, grads: Arrays) -> None:
        self.m = self.v = None
        super().update(params, grads)


# -- every optimizer: mistakes of the update's shape, not of its formula -------------------------
# Several of these are what a run with tiny gradients cannot tell from each other (nor from
# the reference): the diagnosis names one only where the failing runs separate them.


def _leave_unchanged(self: Any, params: Arrays, grads: Arrays) -> None:
    del self, params, grads


class _FirstCallOnly:
    """The update loop indented inside ``if self.v is None:``: only the first call moves."""

    def update(self, params: Arrays, grads: Arrays) -> None:
        if getattr(self, "_moved", False):
            return
        self._moved = True
        super().update(params, grads)  # type: ignore[misc]


class _NegatedStep:
    """``w += step`` where the reference has ``w -= step``."""

    def step(self, *args: Any) -> Any:
        return -super().step(*args)  # type: ignore[misc]


def _without_eps(base: type, *names: str) -> type:
    """``base`` whose constructor takes only ``names`` (no ``eps``): ε fixed at the book's 1e-7."""

    def __init__(self: Any, *args: float, **kwargs: float) -> None:
        bound = dict(zip(names, args, strict=False)) | kwargs
        unknown = set(bound) - set(names)
        if unknown or len(args) > len(names):
            # What Python itself says when a keyword has no parameter to go to.
            raise TypeError(f"__init__() got an unexpected keyword argument {sorted(unknown)}")
        base.__init__(self, **bound, eps=1e-7)

    return type(f"{base.__name__}WithoutEps", (base,), {"__init__": __init__})


_STATE_OF = {"Momentum": "v", "AdaGrad": "h", "RMSProp": "h", "Adam": "m"}
_SIGNATURE_OF = {
    "AdaGrad": "AdaGrad(lr=0.01, eps=1e-7)",
    "RMSProp": "RMSProp(lr=0.01, beta=0.9, eps=1e-7)",
    "Adam": "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)",
}


def _register_shape_mistakes() -> None:
    for name in ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"):
        register(
            MISTAKES,
            name,
            f"{name.lower()}_no_update",
            "update가 호출한 쪽의 params를 바꾸지 않음 "
            "(params[key]를 고치지 않고 지역 이름에 새 값을 대입했을 수 있음)",
            "update leaves the caller's params unchanged "
            "(perhaps a new value went to a local name instead of params[key])",
            Text(
                ko="새 값을 params[key]에 넣으세요: params[key] -= ... (지역 변수에 대입하면 "
                "호출한 쪽은 바뀌지 않음)",
                en="write the new value into params[key]: params[key] -= ... (assigning to a "
                "local name changes nothing for the caller)",
            ),
        )(type(f"{name}NoUpdate", (getattr(_opt, name),), {"update": _leave_unchanged}))

    for name, state in _STATE_OF.items():
        register(
            MISTAKES,
            name,
            f"{name.lower()}_first_call_only",
            f"첫 update 호출에서만 매개변수가 바뀜: 갱신 반복문이 `if self.{state} is None` 블록 "
            "안으로 들여쓰기됨",
            f"only the first update call changes the parameters: the update loop is indented "
            f"inside the `if self.{state} is None` block",
            Text(
                ko=f"`if self.{state} is None` 블록 안에서는 상태만 만들고, 갱신 반복문은 그 "
                "밖으로 내어 쓰세요",
                en=f"only create the state inside the `if self.{state} is None` block; dedent the "
                "update loop out of it",
            ),
        )(type(f"{name}FirstCallOnly", (_FirstCallOnly, getattr(_opt, name)), {}))

    for name, base in (("AdaGrad", _AdaGrad), ("RMSProp", _RMSProp), ("Adam", _Adam)):
        register(
            MISTAKES,
            name,
            f"{name.lower()}_plus_sign",
            "단계를 빼지 않고 더함 (w -= step 이어야 할 곳에서 w += step)",
            "adds the step instead of subtracting it (w += step where w -= step is meant)",
            Text(ko="단계를 빼세요: w -= step", en="subtract the step: w -= step"),
        )(type(f"{name}PlusSign", (_NegatedStep, base), {}))

    no_eps = (
        "생성자에 eps 인자가 없음 (ε를 코드에 고정함): 과제의 형태는 {signature}",
        "the constructor takes no eps argument (ε is fixed in the code); the assignment asks for "
        "{signature}",
    )
    for name, base, names in (
        ("AdaGrad", _AdaGrad, ("lr",)),
        ("RMSProp", _RMSProp, ("lr", "beta")),
        ("Adam", _Adam, ("lr", "beta1", "beta2")),
        # The book's Adam: bias correction folded into the step size, ε = 1e-7 in the code.
        ("Adam", AdamFoldedBiasCorrection, ("lr", "beta1", "beta2")),
    ):
        folded = "_folded" if base is AdamFoldedBiasCorrection else ""
        register(
            MISTAKES,
            name,
            f"{name.lower()}_no_eps_argument{folded}",
            *(text.format(signature=_SIGNATURE_OF[name]) for text in no_eps),
            Text(
                ko=f"생성자에 eps 인자를 추가하고 코드에서 그 값을 쓰세요: {_SIGNATURE_OF[name]}",
                en=f"add an eps argument to the constructor and use it: {_SIGNATURE_OF[name]}",
            ),
        )(_without_eps(base, *names))


_register_shape_mistakes()


# -- ewma --------------------------------------------------------------------------------------


def _ewma(
    theta: ArrayLike,
    beta: float,
    bias_correction: bool,
    *,
    first: bool = False,
    keep: float | None = None,
    t0: int = 1,
) -> np.ndarray:
    """The EWMA loop with the knobs students get wrong: the start value ``v_0`` (0, or the
    first value when ``first``), the weight ``keep`` of the old average (β) and where ``t`` of
    the bias correction ``1 - β^t`` starts counting (``t0``)."""
    values = np.asarray(theta, dtype=float).reshape(-1)
    keep = beta if keep is None else keep
    running, out = (values[0] if first else 0.0), []
    for t, value in enumerate(values, start=t0):
        running = keep * running + (1 - keep) * value
        out.append(running / (1 - beta**t) if bias_correction else running)
    return np.array(out)


@register(
    MISTAKES,
    "ewma",
    "ewma_starts_at_first_value",
    "v_0 = 0이 아니라 첫 값에서 시작함 (v_0 = theta_1)",
    "starts from the first value instead of zero (v_0 = theta_1)",
)
def ewma_starts_at_first_value(
    theta: ArrayLike, beta: float = 0.9, bias_correction: bool = False
) -> np.ndarray:
    return _ewma(theta, beta, bias_correction, first=True)


@register(
    MISTAKES,
    "ewma",
    "ewma_bias_correction_off_by_one",
    "편향 보정의 t가 하나 어긋남: 1 - beta**(t-1) (t를 0부터 셈)",
    "bias correction off by one: 1 - beta**(t-1) (t counted from 0)",
)
def ewma_bias_correction_off_by_one(
    theta: ArrayLike, beta: float = 0.9, bias_correction: bool = False
) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # t = 0 divides by 1 - beta**0 = 0
        return _ewma(theta, beta, bias_correction, t0=0)


@register(
    MISTAKES,
    "ewma",
    "ewma_beta_swapped",
    "beta와 1-beta가 바뀜: v = (1-beta)*v + beta*theta",
    "beta and 1-beta swapped: v = (1-beta)*v + beta*theta",
)
def ewma_beta_swapped(
    theta: ArrayLike, beta: float = 0.9, bias_correction: bool = False
) -> np.ndarray:
    return _ewma(theta, beta, bias_correction, keep=1 - beta)


# -- learning-rate schedules -------------------------------------------------------------------


def _floats(*values: ArrayLike) -> list[np.ndarray]:
    return [np.asarray(value, dtype=float) for value in values]


@register(
    MISTAKES,
    "lr_inverse_time",
    "lr_inverse_time_without_one",
    "분모에 1+가 없음: lr0 / (decay_rate * epoch)",
    "no 1+ in the denominator: lr0 / (decay_rate * epoch)",
)
def lr_inverse_time_without_one(
    lr0: ArrayLike, epoch: ArrayLike, decay_rate: float = 1.0
) -> float | np.ndarray:
    lr0, epoch = _floats(lr0, epoch)
    with np.errstate(divide="ignore"):
        return _sched._as_result(lr0 / (decay_rate * epoch))


@register(
    MISTAKES,
    "lr_exponential",
    "lr_exponential_product",
    "거듭제곱 대신 곱함: lr0 * base * epoch",
    "multiplies instead of raising to a power: lr0 * base * epoch",
)
def lr_exponential_product(
    lr0: ArrayLike, epoch: ArrayLike, base: float = 0.95
) -> float | np.ndarray:
    lr0, epoch = _floats(lr0, epoch)
    return _sched._as_result(lr0 * base * epoch)


@register(
    MISTAKES,
    "lr_exponential",
    "lr_exponential_power_swapped",
    "밑과 지수가 바뀜: epoch**base * lr0",
    "base and exponent swapped: epoch**base * lr0",
)
def lr_exponential_power_swapped(
    lr0: ArrayLike, epoch: ArrayLike, base: float = 0.95
) -> float | np.ndarray:
    lr0, epoch = _floats(lr0, epoch)
    return _sched._as_result(epoch**base * lr0)


@register(
    MISTAKES,
    "lr_inverse_sqrt",
    "lr_inverse_sqrt_epoch_plus_one",
    "sqrt(epoch) 대신 sqrt(epoch + 1)로 나눔",
    "divides by sqrt(epoch + 1) instead of sqrt(epoch)",
)
def lr_inverse_sqrt_epoch_plus_one(
    lr0: ArrayLike, epoch: ArrayLike, k: float = 1.0
) -> float | np.ndarray:
    _sched.lr_inverse_sqrt(lr0, epoch, k)  # the same ValueError for epoch < 1
    lr0, epoch = _floats(lr0, epoch)
    return _sched._as_result(k / np.sqrt(epoch + 1) * lr0)


@register(
    MISTAKES,
    "lr_staircase",
    "lr_staircase_no_floor",
    "floor를 빠뜨림: 계단 없이 매 epoch 줄어듦 (epoch / time_interval)",
    "floor missing: decays every epoch instead of in steps (epoch / time_interval)",
)
def lr_staircase_no_floor(
    lr0: ArrayLike, epoch: ArrayLike, decay_rate: float = 1.0, time_interval: int = 1000
) -> float | np.ndarray:
    return _sched.lr_inverse_time(lr0, np.asarray(epoch, dtype=float) / time_interval, decay_rate)


# -- random_mini_batches -----------------------------------------------------------------------

Batches = list[tuple[np.ndarray, np.ndarray]]


def _cut(X: np.ndarray, Y: np.ndarray, batch_size: int, keep_last: bool = True) -> Batches:
    """Consecutive batches of already shuffled columns (without the short last one if asked)."""
    m = X.shape[1]
    end = m if keep_last else m - m % batch_size
    return [(X[:, i : i + batch_size], Y[:, i : i + batch_size]) for i in range(0, end, batch_size)]


@register(
    MISTAKES,
    "random_mini_batches",
    "mini_batches_drop_last",
    "batch_size보다 작은 마지막 미니배치를 버림",
    "drops the last mini-batch when it is smaller than batch_size",
)
def mini_batches_drop_last(
    X: np.ndarray, Y: np.ndarray, batch_size: int = 64, seed: int = 0
) -> Batches:
    order = np.random.default_rng(seed).permutation(X.shape[1])
    return _cut(X[:, order], Y[:, order], batch_size, keep_last=False)


@register(
    MISTAKES,
    "random_mini_batches",
    "mini_batches_two_permutations",
    "X와 Y를 서로 다른 순열로 섞음 (예제와 레이블의 짝이 깨짐)",
    "shuffles X and Y with two different permutations (examples lose their labels)",
)
def mini_batches_two_permutations(
    X: np.ndarray, Y: np.ndarray, batch_size: int = 64, seed: int = 0
) -> Batches:
    rng = np.random.default_rng(seed)
    return _cut(X[:, rng.permutation(X.shape[1])], Y[:, rng.permutation(X.shape[1])], batch_size)


@register(
    MISTAKES,
    "random_mini_batches",
    "mini_batches_legacy_seed",
    "np.random.seed(seed)와 np.random.permutation을 씀 "
    "(과제는 np.random.default_rng(seed).permutation)",
    "uses np.random.seed(seed) with np.random.permutation "
    "(the assignment uses np.random.default_rng(seed).permutation)",
)
def mini_batches_legacy_seed(
    X: np.ndarray, Y: np.ndarray, batch_size: int = 64, seed: int = 0
) -> Batches:
    # RandomState(seed) draws what np.random.seed(seed) + np.random.permutation draw, without
    # touching the grader's global random state.
    order = np.random.RandomState(seed).permutation(X.shape[1])
    return _cut(X[:, order], Y[:, order], batch_size)


# -- activations and their derivatives ---------------------------------------------------------


@register(
    MISTAKES,
    "relu_grad",
    "relu_grad_returns_relu",
    "도함수 대신 relu(x) 자체를 돌려줌",
    "returns relu(x) itself instead of its derivative",
)
def relu_grad_returns_relu(x: ArrayLike) -> np.ndarray:
    return _init.relu(x)


@register(
    MISTAKES,
    "leaky_relu",
    "leaky_relu_alpha_on_positive_side",
    "alpha를 양수 쪽에 곱함: x > 0이면 alpha*x, 아니면 x",
    "alpha applied on the positive side: alpha*x for x > 0, else x",
)
def leaky_relu_alpha_on_positive_side(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, alpha * x, x)


@register(
    MISTAKES,
    "elu",
    "elu_without_minus_one",
    "음수 쪽에서 1을 빼지 않음: alpha*exp(x) (정답은 alpha*(exp(x) - 1))",
    "no -1 on the negative side: alpha*exp(x) (should be alpha*(exp(x) - 1))",
)
def elu_without_minus_one(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0.0)))


@register(
    MISTAKES,
    "sigmoid_grad",
    "sigmoid_grad_one_minus_x",
    "sigmoid(x)*(1 - sigmoid(x)) 대신 sigmoid(x)*(1 - x)",
    "sigmoid(x)*(1 - x) instead of sigmoid(x)*(1 - sigmoid(x))",
)
def sigmoid_grad_one_minus_x(x: ArrayLike) -> np.ndarray:
    return _init.sigmoid(x) * (1 - np.asarray(x, dtype=float))


# -- initialization ----------------------------------------------------------------------------
# Drawing the (n_out, n_in) matrix and transposing it is as random as the reference's draw, but
# gives other numbers for the same seed: accepted, so that the exact comparison stays fair.


def _normal(rng: np.random.Generator, variance: float, n_in: int, n_out: int) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(variance), size=(n_in, n_out))


@register(
    EQUIVALENTS,
    "xavier_init",
    "xavier_transposed_draw",
    "(n_out, n_in) 행렬을 뽑아 전치함",
    "draws an (n_out, n_in) matrix and transposes it",
)
def xavier_transposed_draw(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return _normal(rng, 2 / (n_in + n_out), n_out, n_in).T


@register(
    MISTAKES,
    "xavier_init",
    "xavier_variance_as_std",
    "분산 2/(n_in+n_out)을 표준편차로 씀 (제곱근을 빠뜨림)",
    "uses the variance 2/(n_in+n_out) as the standard deviation (square root missing)",
)
def xavier_variance_as_std(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return _normal(rng, (2 / (n_in + n_out)) ** 2, n_in, n_out)


@register(
    MISTAKES,
    "xavier_init",
    "xavier_fan_in_only",
    "분산으로 1/n_in을 씀 (과제는 2/(n_in+n_out))",
    "uses the variance 1/n_in (the assignment uses 2/(n_in+n_out))",
)
def xavier_fan_in_only(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return _normal(rng, 1 / n_in, n_in, n_out)


@register(
    EQUIVALENTS,
    "he_init",
    "he_transposed_draw",
    "(n_out, n_in) 행렬을 뽑아 전치함",
    "draws an (n_out, n_in) matrix and transposes it",
)
def he_transposed_draw(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return _normal(rng, 4 / (n_in + n_out), n_out, n_in).T


@register(
    MISTAKES,
    "he_init",
    "he_fan_in_only",
    "분산으로 2/n_in을 씀 (이 강의 노트의 He는 팬 평균 4/(n_in+n_out))",
    "uses the variance 2/n_in (these notes' He uses the fan average, 4/(n_in+n_out))",
)
def he_fan_in_only(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    return _normal(rng, 2 / n_in, n_in, n_out)


# -- fix hints: one line each, shown under the mistake's name in the feedback -----------------


def _amend(id: str, **changes: Any) -> None:
    for variants in [*MISTAKES.values(), *EQUIVALENTS.values()]:
        for index, variant in enumerate(variants):
            if variant.id == id:
                variants[index] = replace(variant, **changes)
                return
    raise KeyError(id)


def add_hint(id: str, ko: str, en: str) -> None:
    """Give the mistake ``id`` its one-line fix hint (kept apart from the entries above so
    that a hint is added without touching the variant)."""
    _amend(id, hint=Text(ko=ko, en=en))


def add_edit(id: str, old: str, new: str) -> None:
    """Say how a student writes the variant ``id``: ``old``, text of the item's reference
    source (exactly once), replaced by ``new``."""
    _amend(id, edit=(old, new))


add_hint("sgd_plus_sign", "기울기를 빼세요: w -= lr*g", "subtract the gradient: w -= lr*g")
add_hint(
    "momentum_ewma_form",
    "속도에 학습률을 넣으세요: v = m*v - lr*g 그리고 w += v",
    "put the learning rate into the velocity: v = m*v - lr*g, then w += v",
)
add_hint(
    "momentum_state_reset",
    "v를 __init__에서 (또는 처음 한 번만) 만들고 update에서는 이어서 쓰세요",
    "create v once (in __init__ or on the first call) and keep it between update calls",
)
add_hint("adagrad_g_not_squared", "h에 g*g를 더하세요: h += g*g", "accumulate g*g: h += g*g")
add_hint(
    "adam_no_bias_correction",
    "m은 1 - beta1**t로, v는 1 - beta2**t로 나누세요",
    "divide m by 1 - beta1**t and v by 1 - beta2**t",
)
add_hint(
    "adam_t_not_incremented",
    "update를 호출할 때마다 t를 1씩 늘리세요",
    "increment t by one on every update call",
)
add_hint(
    "adam_state_reset",
    "m과 v를 처음 한 번만 만들고 update에서는 이어서 쓰세요",
    "create m and v once and keep them between update calls",
)
add_hint(
    "ewma_starts_at_first_value",
    "v를 0에서 시작하세요: v_0 = 0",
    "start from zero: v_0 = 0",
)
add_hint(
    "lr_staircase_no_floor",
    "epoch // time_interval처럼 내림을 하세요",
    "floor the ratio: epoch // time_interval",
)
add_hint(
    "momentum_sign_error",
    "v = m*v - lr*g로 속도를 만들고 w += v로 더하세요",
    "make the velocity v = m*v - lr*g, then add it: w += v",
)
add_hint(
    "adagrad_no_sqrt",
    "h의 제곱근으로 나누세요: lr * g / (sqrt(h) + eps)",
    "divide by the square root of h: lr * g / (sqrt(h) + eps)",
)
add_hint(
    "adagrad_state_reset",
    "h를 처음 한 번만 만들고 update 사이에 이어서 더하세요",
    "create h once and keep adding to it between update calls",
)
add_hint(
    "rmsprop_g_not_squared",
    "제곱한 기울기의 평균을 내세요: h = beta*h + (1-beta)*g*g",
    "average the squared gradient: h = beta*h + (1-beta)*g*g",
)
add_hint(
    "rmsprop_beta_swapped",
    "h = beta*h + (1-beta)*g*g로 쓰세요 (이전 h에 beta를 곱함)",
    "write h = beta*h + (1-beta)*g*g (beta multiplies the old h)",
)
add_hint(
    "rmsprop_no_sqrt",
    "h의 제곱근으로 나누세요: lr * g / (sqrt(h) + eps)",
    "divide by the square root of h: lr * g / (sqrt(h) + eps)",
)
add_hint(
    "rmsprop_book_signature",
    "이름과 인자를 과제대로 쓰세요: RMSProp(lr=0.01, beta=0.9, eps=1e-7)",
    "use the assignment's name and arguments: RMSProp(lr=0.01, beta=0.9, eps=1e-7)",
)
add_hint(
    "rmsprop_state_reset",
    "h를 처음 한 번만 만들고 update 사이에 이어서 쓰세요",
    "create h once and keep it between update calls",
)
add_hint(
    "adam_corrects_only_m",
    "v도 보정하세요: v_hat = v / (1 - beta2**t)",
    "correct v too: v_hat = v / (1 - beta2**t)",
)
add_hint(
    "adam_corrects_only_v",
    "m도 보정하세요: m_hat = m / (1 - beta1**t)",
    "correct m too: m_hat = m / (1 - beta1**t)",
)
add_hint(
    "adam_g_not_squared",
    "v에는 제곱한 기울기의 평균을 내세요: v = beta2*v + (1-beta2)*g*g",
    "average the squared gradient in v: v = beta2*v + (1-beta2)*g*g",
)
add_hint(
    "adam_t_per_key",
    "t += 1을 키 반복문 밖, update 맨 앞에서 한 번만 하세요",
    "do t += 1 once at the top of update, outside the loop over keys",
)
add_hint(
    "adam_t_starts_at_1",
    "t를 0에서 시작하세요: 첫 update에서 t = 1이 되어야 함",
    "start t at 0, so that the first update uses t = 1",
)
add_hint(
    "ewma_bias_correction_off_by_one",
    "t를 1부터 세어 1 - beta**t로 나누세요",
    "count t from 1 and divide by 1 - beta**t",
)
add_hint(
    "ewma_beta_swapped",
    "v = beta*v + (1-beta)*theta로 쓰세요 (이전 v에 beta를 곱함)",
    "write v = beta*v + (1-beta)*theta (beta multiplies the old v)",
)
add_hint(
    "lr_inverse_time_without_one",
    "분모에 1을 더하세요: lr0 / (1 + decay_rate * epoch)",
    "add 1 in the denominator: lr0 / (1 + decay_rate * epoch)",
)
add_hint(
    "lr_exponential_product",
    "곱하지 말고 거듭제곱하세요: lr0 * base**epoch",
    "raise to a power instead of multiplying: lr0 * base**epoch",
)
add_hint(
    "lr_exponential_power_swapped",
    "밑은 base, 지수는 epoch입니다: lr0 * base**epoch",
    "base is the base and epoch the exponent: lr0 * base**epoch",
)
add_hint(
    "lr_inverse_sqrt_epoch_plus_one",
    "sqrt(epoch)로 나누세요 (epoch < 1이면 ValueError)",
    "divide by sqrt(epoch) (and raise ValueError for epoch < 1)",
)
add_hint(
    "mini_batches_drop_last",
    "남은 예제로 마지막 작은 미니배치도 만드세요",
    "keep the last, smaller mini-batch made of the examples left over",
)
add_hint(
    "mini_batches_two_permutations",
    "순열을 한 번만 만들어 X와 Y에 같이 쓰세요: X[:, p], Y[:, p]",
    "draw one permutation and use it for both: X[:, p], Y[:, p]",
)
add_hint(
    "mini_batches_legacy_seed",
    "np.random.default_rng(seed).permutation(m)을 쓰세요",
    "use np.random.default_rng(seed).permutation(m)",
)
add_hint(
    "relu_grad_returns_relu",
    "도함수를 돌려주세요: x > 0이면 1, 아니면 0",
    "return the derivative: 1 where x > 0, else 0",
)
add_hint(
    "leaky_relu_alpha_on_positive_side",
    "alpha는 음수 쪽에 곱하세요: x > 0이면 x, 아니면 alpha*x",
    "apply alpha on the negative side: x for x > 0, else alpha*x",
)
add_hint(
    "elu_without_minus_one",
    "음수 쪽은 alpha*(exp(x) - 1)입니다",
    "the negative side is alpha*(exp(x) - 1)",
)
add_hint(
    "sigmoid_grad_one_minus_x",
    "s = sigmoid(x)로 두고 s*(1 - s)를 돌려주세요",
    "let s = sigmoid(x) and return s*(1 - s)",
)
add_hint(
    "xavier_variance_as_std",
    "표준편차는 분산의 제곱근입니다: sqrt(2/(n_in+n_out))",
    "the standard deviation is the variance's square root: sqrt(2/(n_in+n_out))",
)
add_hint(
    "xavier_fan_in_only",
    "분산으로 2/(n_in+n_out)을 쓰세요",
    "use the variance 2/(n_in+n_out)",
)
add_hint(
    "he_fan_in_only",
    "분산으로 4/(n_in+n_out)을 쓰세요 (이 강의 노트의 He)",
    "use the variance 4/(n_in+n_out) (these notes' He)",
)


# -- the mistakes as students write them (edits of the reference's source) ----------------------

add_edit(
    "sgd_plus_sign", "params[key] -= self.lr * grads[key]", "params[key] += self.lr * grads[key]"
)
add_edit(
    "momentum_ewma_form",
    "self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]\n"
    "            params[key] += self.v[key]",
    "self.v[key] = self.momentum * self.v[key] + (1 - self.momentum) * grads[key]\n"
    "            params[key] -= self.lr * self.v[key]",
)
add_edit("momentum_sign_error", "params[key] += self.v[key]", "params[key] -= self.v[key]")
add_edit(
    "adagrad_g_not_squared", "self.h[key] += grads[key] * grads[key]", "self.h[key] += grads[key]"
)
add_edit("adagrad_no_sqrt", "(np.sqrt(self.h[key]) + self.eps)", "(self.h[key] + self.eps)")
add_edit(
    "rmsprop_beta_swapped",
    "self.h[key] = self.beta * self.h[key] + (1 - self.beta) * g * g",
    "self.h[key] = (1 - self.beta) * self.h[key] + self.beta * g * g",
)
add_edit(
    "rmsprop_state_reset",
    "if self.h is None:\n            self.h = _zeros_like_each(params)",
    "self.h = _zeros_like_each(params)",
)
add_edit(
    "adam_corrects_only_v",
    "m_hat = self.m[key] / (1 - self.beta1**self.t)",
    "m_hat = self.m[key]",
)
add_edit(
    "adam_corrects_only_m",
    "v_hat = self.v[key] / (1 - self.beta2**self.t)",
    "v_hat = self.v[key]",
)
add_edit(
    "adam_t_per_key",
    "self.t += 1\n        for key in params:\n",
    "for key in params:\n            self.t += 1\n",
)
add_edit("ewma_starts_at_first_value", "running = 0.0", "running = values[0]")
add_edit(
    "lr_staircase_no_floor",
    "np.floor(np.asarray(epoch, dtype=float) / time_interval)",
    "np.asarray(epoch, dtype=float) / time_interval",
)
add_edit(
    "mini_batches_two_permutations",
    "shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation]",
    "rng = np.random.default_rng(seed)\n"
    "    shuffled_X, shuffled_Y = X[:, rng.permutation(m)], Y[:, rng.permutation(m)]",
)
add_edit("elu_without_minus_one", "np.expm1(np.minimum(x, 0.0))", "np.exp(np.minimum(x, 0.0))")
add_edit("sigmoid_grad_one_minus_x", "return s * (1.0 - s)", "return s * (1.0 - np.asarray(x))")
add_edit("he_fan_in_only", "np.sqrt(4.0 / (n_in + n_out))", "np.sqrt(2.0 / n_in)")
