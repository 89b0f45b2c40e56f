"""Optimizers pinned against real Keras.

Every expected value in this file was recorded from TensorFlow 2.21.0 with
Keras 3.15.1 (the ``tensorflow-cpu`` wheel, Python 3.11, CPU, eager mode,
``tf.keras.optimizers`` = ``keras.src.optimizers``) on 2026-11-22, by running
scratch scripts whose logic is reproduced verbatim in each test below, with
``import tensorflow as tf`` / ``tf.keras.optimizers`` in place of
``import gpugrad as tf`` / ``tf.optimizers``.  The numbers are literals copied
from Keras's output (``repr`` of ``v.numpy().tolist()``, i.e. every float32
digit); nothing here computes its own expected result.  TensorFlow is NOT
needed to run these tests and must not become a dependency of gpugrad.
As a check, this very file run under TensorFlow (with those substitutions)
passes every test except test_learning_rate_variable_assigned_after_50_steps,
a gpugrad extension that Keras 3 refuses (see there).

The problem: two float32 variables ``w`` [3, 2] and ``b`` [2], fixed data
``X`` [4, 3] and ``Y`` [4, 2], loss
``mean((X @ w + b - Y) ** 2) + 0.01 * sum(w ** 2)``, 100 steps of
GradientTape -> tape.gradient -> optimizer.apply_gradients.  The data were
chosen so that no configuration is chaotic: perturbing every gradient by a
few float32 ulps each step moves the final values by at most ~0.15 of the
tolerance below, so any correct float32 implementation (other summation
order, FMA, a fused GPU kernel) passes.

Conventions:
* final values: ``numpy.testing.assert_allclose(rtol=1e-5, atol=1e-6)``
  after checking dtype and shape (float32 rounding over 100 steps);
* where Keras raised a builtin (ValueError) the test expects that builtin;
  where it raised ``tf.errors.InvalidArgumentError`` the test expects
  ``tf.errors.InvalidArgumentError``.  Keras's messages are quoted in
  comments, not asserted.
"""
import numpy as np
import pytest

import gpugrad as tf

X_VALUES = [[0.7, -1.0, 1.3],
            [-1.5, -1.8, -0.5],
            [-1.4, 1.6, -0.9],
            [0.3, 0.3, -1.6]]
Y_VALUES = [[-1.9, 0.8],
            [1.4, 2.7],
            [-1.0, -0.8],
            [2.1, 2.3]]
W0 = [[0.8, -0.8], [0.2, 0.4], [-0.3, -0.3]]
B0 = [-0.4, 0.2]


# ---------------------------------------------------------------------------
# The program every numeric test runs (identical, line for line, to the
# Keras script that produced the numbers).
# ---------------------------------------------------------------------------

def make_variables():
    return tf.Variable(W0, name="w"), tf.Variable(B0, name="b")


def loss_fn(X, Y, w, b):
    return tf.reduce_mean(tf.square(tf.matmul(X, w) + b - Y)) + 0.01 * tf.reduce_sum(tf.square(w))


def step(opt, X, Y, w, b):
    with tf.GradientTape() as tape:
        loss = loss_fn(X, Y, w, b)
    grads = tape.gradient(loss, [w, b])
    opt.apply_gradients(zip(grads, [w, b]))


def train(opt, steps=100, before_step=None):
    X, Y = tf.constant(X_VALUES), tf.constant(Y_VALUES)
    w, b = make_variables()
    for i in range(steps):
        if before_step is not None:
            before_step(i, opt)
        step(opt, X, Y, w, b)
    return w, b


def check(actual, expected, rtol=1e-5, atol=1e-6):
    assert actual.dtype == tf.float32, f"dtype {actual.dtype!r} != float32"
    expected = np.asarray(expected, np.float64)
    assert tuple(actual.shape) == expected.shape, f"shape {tuple(actual.shape)} != {expected.shape}"
    np.testing.assert_allclose(actual.numpy(), expected, rtol=rtol, atol=atol)


O = tf.optimizers
S = tf.optimizers.schedules

OPTIMIZERS = {
    # the seven optimizers
    "sgd": lambda: O.SGD(learning_rate=0.05),
    "sgd_momentum": lambda: O.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov": lambda: O.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": lambda: O.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: O.Adam(learning_rate=0.01, amsgrad=True),
    "adam_betas_eps": lambda: O.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3),
    "adamw": lambda: O.AdamW(learning_rate=0.01, weight_decay=0.05),
    "rmsprop": lambda: O.RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: O.RMSprop(learning_rate=0.01, momentum=0.9),
    "rmsprop_centered": lambda: O.RMSprop(learning_rate=0.01, centered=True),
    "adagrad": lambda: O.Adagrad(learning_rate=0.1),
    "adadelta": lambda: O.Adadelta(learning_rate=1.0),
    "nadam": lambda: O.Nadam(learning_rate=0.01),
    # gradient clipping
    "sgd_clipnorm": lambda: O.SGD(learning_rate=0.05, clipnorm=0.1),
    "sgd_clipvalue": lambda: O.SGD(learning_rate=0.05, clipvalue=0.05),
    "sgd_global_clipnorm": lambda: O.SGD(learning_rate=0.05, global_clipnorm=0.1),
    "adam_clipnorm": lambda: O.Adam(learning_rate=0.01, clipnorm=0.1),
    "adam_clipvalue": lambda: O.Adam(learning_rate=0.01, clipvalue=0.05),
    "adam_global_clipnorm": lambda: O.Adam(learning_rate=0.01, global_clipnorm=0.1),
    # decoupled weight decay
    "sgd_weight_decay": lambda: O.SGD(learning_rate=0.05, weight_decay=0.01),
    "adam_weight_decay": lambda: O.Adam(learning_rate=0.01, weight_decay=0.01),
    # gradient accumulation
    "adam_accumulation": lambda: O.Adam(learning_rate=0.01, gradient_accumulation_steps=4),
    "sgd_accumulation": lambda: O.SGD(learning_rate=0.05, gradient_accumulation_steps=4),
    "sgd_accumulation_exponential": lambda: O.SGD(
        learning_rate=S.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9),
        gradient_accumulation_steps=4),
    # learning-rate schedules
    "sgd_exponential": lambda: O.SGD(
        learning_rate=S.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9)),
    "sgd_exponential_staircase": lambda: O.SGD(
        learning_rate=S.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9, staircase=True)),
    "sgd_piecewise": lambda: O.SGD(
        learning_rate=S.PiecewiseConstantDecay([30, 60], [0.05, 0.02, 0.01])),
    "sgd_cosine": lambda: O.SGD(learning_rate=S.CosineDecay(0.05, decay_steps=100)),
    "sgd_cosine_warmup": lambda: O.SGD(learning_rate=S.CosineDecay(
        0.0, decay_steps=80, warmup_target=0.05, warmup_steps=20)),
}

# (w, b) after 100 steps, from Keras.
KERAS = {
    "sgd": (
        [[0.30209967494010925, 0.37940648198127747], [-0.8454223275184631, -1.1056019067764282],
         [-1.6954903602600098, -0.9814020991325378]],
        [-0.5789763927459717, 0.765504002571106]),
    "sgd_momentum": (
        [[0.32404592633247375, 0.4514780342578888], [-0.8991509675979614, -1.1442688703536987],
         [-1.7903175354003906, -1.065111517906189]],
        [-0.6624931693077087, 0.7498095631599426]),
    "sgd_nesterov": (
        [[0.32284238934516907, 0.44727808237075806], [-0.9009565114974976, -1.1442608833312988],
         [-1.7864676713943481, -1.0645215511322021]],
        [-0.6588626503944397, 0.7527745962142944]),
    "adam": (
        [[0.20977510511875153, 0.010226170532405376], [-0.5068017244338989, -0.42923304438591003],
         [-1.0765663385391235, -0.4637932777404785]],
        [-0.15784958004951477, 0.910007894039154]),
    "adam_amsgrad": (
        [[0.21000273525714874, 0.010225102305412292], [-0.5068022012710571, -0.42923352122306824],
         [-1.0765748023986816, -0.4638001024723053]],
        [-0.1578214317560196, 0.909923255443573]),
    "adam_betas_eps": (
        [[0.16754958033561707, 0.07989218086004257], [-0.578323245048523, -0.49157145619392395],
         [-1.1558359861373901, -0.5416770577430725]],
        [-0.304862380027771, 0.9306809306144714]),
    "adamw": (
        [[0.1940859854221344, 0.018517421558499336], [-0.4951464533805847, -0.4279623329639435],
         [-1.0463544130325317, -0.47105228900909424]],
        [-0.15403035283088684, 0.8930038213729858]),
    "rmsprop": (
        [[0.14569447934627533, 0.17772741615772247], [-0.6735810041427612, -0.5933984518051147],
         [-1.2736974954605103, -0.6441814303398132]],
        [-0.45352306962013245, 0.9322494268417358]),
    "rmsprop_momentum": (
        [[0.323582261800766, 0.4462803304195404], [-0.8990373611450195, -1.1450923681259155],
         [-1.7838106155395508, -1.0652000904083252]],
        [-0.6568155884742737, 0.7502654790878296]),
    "rmsprop_centered": (
        [[0.3188558518886566, 0.44480815529823303], [-0.8956279754638672, -1.1355825662612915],
         [-1.7750475406646729, -1.0572820901870728]],
        [-0.6531058549880981, 0.7572177648544312]),
    "adagrad": (
        [[0.21362817287445068, 0.3379000723361969], [-0.7510360479354858, -0.8514077663421631],
         [-1.480434775352478, -0.8289808630943298]],
        [-0.5103875398635864, 0.8871581554412842]),
    "adadelta": (
        [[0.6598406434059143, -0.6578104496002197], [0.056543316692113876, 0.2532960772514343],
         [-0.44554924964904785, -0.19265079498291016]],
        [-0.26769205927848816, 0.35015708208084106]),
    "nadam": (
        [[0.22627820074558258, -0.034936629235744476], [-0.4774453639984131, -0.38769251108169556],
         [-1.0398839712142944, -0.4311803877353668]],
        [-0.12908831238746643, 0.8894438147544861]),
    "sgd_clipnorm": (
        [[0.6204584836959839, -0.6591750383377075], [0.04991161450743675, 0.04840874671936035],
         [-0.5219439268112183, -0.25226467847824097]],
        [-0.028173968195915222, 0.5328256487846375]),
    "sgd_clipvalue": (
        [[0.5500002503395081, -0.5500002503395081], [-0.049999888986349106, 0.15000024437904358],
         [-0.5499997735023499, -0.13510489463806152]],
        [-0.15000024437904358, 0.44999977946281433]),
    "sgd_global_clipnorm": (
        [[0.621165931224823, -0.6762381792068481], [0.05466816574335098, 0.06525891274213791],
         [-0.5171190500259399, -0.26127883791923523]],
        [-0.2909647226333618, 0.29381388425827026]),
    "adam_clipnorm": (
        [[0.14202803373336792, 0.2281758040189743], [-0.6656106114387512, -0.6376545429229736],
         [-1.2932170629501343, -0.6473022103309631]],
        [-0.46030905842781067, 0.9684803485870361]),
    "adam_clipvalue": (
        [[0.18209853768348694, 0.199981689453125], [-0.6958625912666321, -0.5999818444252014],
         [-1.2999820709228516, -0.6168090105056763]],
        [-0.4216078519821167, 0.9607744216918945]),
    "adam_global_clipnorm": (
        [[0.1688295602798462, 0.22860459983348846], [-0.6572862267494202, -0.6492524743080139],
         [-1.2893474102020264, -0.6581856608390808]],
        [-0.3851662576198578, 0.9653455018997192]),
    "sgd_weight_decay": (
        [[0.293552964925766, 0.3700438141822815], [-0.8319416642189026, -1.0965007543563843],
         [-1.67120361328125, -0.969014048576355]],
        [-0.566056489944458, 0.7607141733169556]),
    "adam_weight_decay": (
        [[0.20656588673591614, 0.011958377435803413], [-0.5044393539428711, -0.42899784445762634],
         [-1.0704323053359985, -0.4653026759624481]],
        [-0.15707874298095703, 0.9065911769866943]),
    "adam_accumulation": (
        [[0.5596726536750793, -0.5586904287338257], [-0.042604994028806686, 0.1553839147090912],
         [-0.5439385175704956, -0.1041528657078743]],
        [-0.16612376272678375, 0.44712120294570923]),
    "sgd_accumulation": (
        [[0.2503909766674042, -0.15251600742340088], [-0.4981997609138489, -0.8182097673416138],
         [-1.202384352684021, -0.4799601435661316]],
        [-0.21311703324317932, 0.6398677229881287]),
    "sgd_accumulation_exponential": (
        [[0.310090571641922, -0.34084415435791016], [-0.3254217803478241, -0.6065353155136108],
         [-1.000383973121643, -0.34143757820129395]],
        [-0.16874194145202637, 0.5362021923065186]),
    "sgd_exponential": (
        [[0.27276918292045593, 0.239995077252388], [-0.7588164210319519, -1.043715476989746],
         [-1.556937575340271, -0.8398240208625793]],
        [-0.4580806493759155, 0.7553049325942993]),
    "sgd_exponential_staircase": (
        [[0.27595582604408264, 0.25746607780456543], [-0.7692041993141174, -1.0512913465499878],
         [-1.5731470584869385, -0.8568702340126038]],
        [-0.4719862937927246, 0.7577053904533386]),
    "sgd_piecewise": (
        [[0.2596876919269562, 0.15929904580116272], [-0.7108273506164551, -1.0079034566879272],
         [-1.4839527606964111, -0.7623711228370667]],
        [-0.3969323933124542, 0.7412700653076172]),
    "sgd_cosine": (
        [[0.2593315541744232, 0.15687911212444305], [-0.7093793153762817, -1.0068020820617676],
         [-1.48179292678833, -0.7600712180137634]],
        [-0.39515992999076843, 0.7407901883125305]),
    "sgd_cosine_warmup": (
        [[0.25873851776123047, 0.15252086520195007], [-0.706749677658081, -1.0047742128372192],
         [-1.4779285192489624, -0.7559536099433899]],
        [-0.3920421898365021, 0.7398532629013062]),
}


def run_and_check(name):
    w, b = train(OPTIMIZERS[name]())
    check(w, KERAS[name][0])
    check(b, KERAS[name][1])


# ---------------------------------------------------------------------------
# Final values after 100 steps
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "sgd", "sgd_momentum", "sgd_nesterov",
    "adam", "adam_amsgrad", "adam_betas_eps", "adamw",
    "rmsprop", "rmsprop_momentum", "rmsprop_centered",
    "adagrad", "adadelta", "nadam",
])
def test_optimizer_matches_keras_after_100_steps(name, device):
    run_and_check(name)


@pytest.mark.parametrize("name", [
    "sgd_clipnorm", "sgd_clipvalue", "sgd_global_clipnorm",
    "adam_clipnorm", "adam_clipvalue", "adam_global_clipnorm",
])
def test_gradient_clipping_matches_keras(name, device):
    run_and_check(name)


@pytest.mark.parametrize("name", ["sgd_weight_decay", "adam_weight_decay"])
def test_weight_decay_matches_keras(name, device):
    run_and_check(name)


@pytest.mark.parametrize("name", ["adam_accumulation", "sgd_accumulation"])
def test_gradient_accumulation_matches_keras(name, device):
    run_and_check(name)


def test_schedule_under_gradient_accumulation_sees_every_call(device):
    # Keras evaluates the schedule at the raw call count (0..99), not at the
    # number of updates (0..24): the four-step mean is applied with lr(3),
    # lr(7), lr(11), ...
    run_and_check("sgd_accumulation_exponential")


@pytest.mark.parametrize("name", [
    "sgd_exponential", "sgd_exponential_staircase", "sgd_piecewise", "sgd_cosine",
    "sgd_cosine_warmup",
])
def test_learning_rate_schedule_matches_keras(name, device):
    run_and_check(name)


# Keras gives these same numbers for all three programs below.
LR_CHANGED_AT_50 = (
    [[0.2704871594905853, 0.22768250107765198], [-0.7515044212341309, -1.0384023189544678],
     [-1.545482873916626, -0.8277878761291504]],
    [-0.44821813702583313, 0.7536743879318237])


def test_learning_rate_set_after_50_steps(device):
    opt = tf.optimizers.SGD(learning_rate=0.05)

    def before_step(i, opt):
        if i == 50:
            opt.learning_rate = 0.01
    w, b = train(opt, before_step=before_step)
    check(w, LR_CHANGED_AT_50[0])
    check(b, LR_CHANGED_AT_50[1])
    check(opt.learning_rate, 0.01)


def test_learning_rate_callable_reading_a_variable(device):
    # Keras calls a callable learning_rate with no arguments, once per step.
    lr = tf.Variable(0.05)
    opt = tf.optimizers.SGD(learning_rate=lambda: lr)

    def before_step(i, opt):
        if i == 50:
            lr.assign(0.01)
    w, b = train(opt, before_step=before_step)
    check(w, LR_CHANGED_AT_50[0])
    check(b, LR_CHANGED_AT_50[1])


def test_learning_rate_variable_assigned_after_50_steps(device):
    # NOT a Keras 3 program: Keras 3 refuses a tf.Variable here (ValueError:
    # "Argument `learning_rate` should be float, or an instance of
    # LearningRateSchedule, or a callable ..."); gpugrad accepts it as an
    # extension.  It must give the numbers Keras gives for the two programs
    # above, which read the same learning rate at every step.
    lr = tf.Variable(0.05)
    opt = tf.optimizers.SGD(learning_rate=lr)

    def before_step(i, opt):
        if i == 50:
            lr.assign(0.01)
    w, b = train(opt, before_step=before_step)
    check(w, LR_CHANGED_AT_50[0])
    check(b, LR_CHANGED_AT_50[1])


# ---------------------------------------------------------------------------
# iterations
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, iterations", [
    ("sgd", 100), ("adam", 100), ("adam_accumulation", 25), ("sgd_accumulation", 25),
], ids=["sgd", "adam", "adam_accumulation", "sgd_accumulation"])
def test_iterations_after_100_calls(name, iterations):
    # With gradient_accumulation_steps=4, Keras's `iterations` is the number
    # of updates (raw calls // 4).
    opt = OPTIMIZERS[name]()
    train(opt)
    assert int(opt.iterations) == iterations


def test_gradient_accumulation_updates_on_every_fourth_call(device):
    X, Y = tf.constant(X_VALUES), tf.constant(Y_VALUES)
    opt = tf.optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=4)
    w, b = make_variables()
    trace = []
    for _ in range(8):
        step(opt, X, Y, w, b)
        trace.append((int(opt.iterations), b.numpy().tolist()))
    keras = [
        (0, [-0.4000000059604645, 0.20000000298023224]),
        (0, [-0.4000000059604645, 0.20000000298023224]),
        (0, [-0.4000000059604645, 0.20000000298023224]),
        (1, [-0.3900001049041748, 0.20999988913536072]),
        (1, [-0.3900001049041748, 0.20999988913536072]),
        (1, [-0.3900001049041748, 0.20999988913536072]),
        (1, [-0.3900001049041748, 0.20999988913536072]),
        (2, [-0.38000765442848206, 0.21999837458133698]),
    ]
    assert [it for it, _ in trace] == [it for it, _ in keras]
    np.testing.assert_allclose([v for _, v in trace], [v for _, v in keras], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Learning-rate schedules called directly: schedule(step)
# ---------------------------------------------------------------------------

SCHEDULES = {
    "exponential": lambda: S.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9),
    "staircase": lambda: S.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9, staircase=True),
    "piecewise": lambda: S.PiecewiseConstantDecay([30, 60], [0.05, 0.02, 0.01]),
    "cosine": lambda: S.CosineDecay(0.05, decay_steps=100),
    "cosine_warmup": lambda: S.CosineDecay(0.0, decay_steps=80, warmup_target=0.05,
                                           warmup_steps=20),
}

# step -> schedule(step), float32, from Keras.
SCHEDULE_VALUES = {
    "exponential": {
        0: 0.05000000074505806, 10: 0.044999998062849045, 25: 0.03842167183756828,
        50: 0.02952449582517147, 99: 0.0176185742020607,
        19: 0.04092896357178688, 20: 0.04049999639391899, 21: 0.040075529366731644,
        30: 0.03644999489188194, 31: 0.03606797382235527, 60: 0.02657204680144787,
        61: 0.026293551549315453, 100: 0.01743391714990139, 150: 0.010294551961123943},
    "staircase": {
        0: 0.05000000074505806, 10: 0.044999998062849045, 25: 0.04049999639391899,
        50: 0.02952449582517147, 99: 0.019371019676327705,
        19: 0.044999998062849045, 20: 0.04049999639391899, 21: 0.04049999639391899,
        30: 0.03644999489188194, 31: 0.03644999489188194, 60: 0.02657204680144787,
        61: 0.02657204680144787, 100: 0.01743391714990139, 150: 0.010294551961123943},
    "piecewise": {  # values[0] while step <= 30, values[1] while step <= 60
        0: 0.05000000074505806, 10: 0.05000000074505806, 25: 0.05000000074505806,
        50: 0.019999999552965164, 99: 0.009999999776482582,
        19: 0.05000000074505806, 20: 0.05000000074505806, 21: 0.05000000074505806,
        30: 0.05000000074505806, 31: 0.019999999552965164, 60: 0.019999999552965164,
        61: 0.009999999776482582, 100: 0.009999999776482582, 150: 0.009999999776482582},
    "cosine": {  # the step is capped at decay_steps
        0: 0.05000000074505806, 10: 0.04877641424536705, 25: 0.04267767071723938,
        50: 0.02499999850988388, 99: 1.2336671716184355e-05,
        19: 0.04567701369524002, 20: 0.04522542282938957, 21: 0.04475387558341026,
        30: 0.03969463333487511, 31: 0.0390520840883255, 60: 0.01727457158267498,
        61: 0.016531551256775856, 100: 0.0, 150: 0.0},
    "cosine_warmup": {  # linear 0 -> 0.05 over steps 0..20, then cosine over 80
        0: 0.0, 10: 0.02500000037252903, 25: 0.04951963201165199,
        50: 0.03456708416342735, 99: 1.9274652004241943e-05,
        19: 0.04749999940395355, 20: 0.05000000074505806, 21: 0.04998072609305382,
        30: 0.04809698835015297, 31: 0.0477035790681839, 60: 0.02499999850988388,
        61: 0.024018503725528717, 100: 0.0, 150: 0.0},
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_values_match_keras(name):
    schedule = SCHEDULES[name]()
    steps = list(SCHEDULE_VALUES[name])
    values = [schedule(s) for s in steps]
    assert all(v.dtype == tf.float32 for v in values)
    # atol 1e-8: the values are ~0.05; float32 cos near pi loses digits at
    # step 99, where float64 and float32 differ by ~7e-10.
    np.testing.assert_allclose([float(v.numpy()) for v in values],
                               [SCHEDULE_VALUES[name][s] for s in steps], rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------
# optimizer.variables
# ---------------------------------------------------------------------------

def stem(variable):
    """'adam/w_0_momentum' (Keras) or 'adam/w_momentum:0' -> 'w_0_momentum' / 'w_momentum'."""
    return variable.name.split("/")[-1].split(":")[0]


def check_slot(variable, owner, kind, shape):
    s = stem(variable)
    assert s.startswith(owner + "_") and s.endswith("_" + kind), variable.name
    assert tuple(variable.shape) == shape and variable.dtype == tf.float32
    np.testing.assert_array_equal(variable.numpy(), np.zeros(shape, np.float32))


def test_adam_variables_after_build():
    # Keras: names iteration, learning_rate, w_0_momentum, w_0_velocity,
    # b_0_momentum, b_0_velocity (paths 'adam/...'); slots are made per model
    # variable, in the order of the var_list, zero-initialized.
    opt = tf.optimizers.Adam(learning_rate=0.01)
    w, b = make_variables()
    opt.build([w, b])
    v = opt.variables
    assert len(v) == 6
    assert stem(v[0]) == "iteration" and v[0].dtype == tf.int64 and tuple(v[0].shape) == ()
    assert int(v[0].numpy()) == 0
    assert stem(v[1]) == "learning_rate" and v[1].dtype == tf.float32 and tuple(v[1].shape) == ()
    np.testing.assert_allclose(float(v[1].numpy()), 0.009999999776482582, rtol=1e-7)
    check_slot(v[2], "w", "momentum", (3, 2))
    check_slot(v[3], "w", "velocity", (3, 2))
    check_slot(v[4], "b", "momentum", (2,))
    check_slot(v[5], "b", "velocity", (2,))


def test_sgd_momentum_variables_after_build():
    # Keras: iteration, learning_rate, w_0_momentum, b_0_momentum.
    opt = tf.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    w, b = make_variables()
    opt.build([w, b])
    v = opt.variables
    assert len(v) == 4
    assert stem(v[0]) == "iteration" and v[0].dtype == tf.int64
    assert stem(v[1]) == "learning_rate"
    np.testing.assert_allclose(float(v[1].numpy()), 0.05000000074505806, rtol=1e-7)
    check_slot(v[2], "w", "momentum", (3, 2))
    check_slot(v[3], "b", "momentum", (2,))


def test_plain_sgd_has_no_slots():
    # Keras creates the momentum slots only when momentum != 0.
    opt = tf.optimizers.SGD(learning_rate=0.05)
    opt.build(list(make_variables()))
    assert [stem(v) for v in opt.variables] == ["iteration", "learning_rate"]


def test_optimizer_with_a_schedule_has_no_learning_rate_variable():
    opt = tf.optimizers.SGD(learning_rate=S.CosineDecay(0.05, decay_steps=100))
    opt.build(list(make_variables()))
    assert [stem(v) for v in opt.variables] == ["iteration"]


def test_adagrad_accumulators_start_at_initial_accumulator_value():
    # Keras: w_0_accumulator, b_0_accumulator filled with 0.1 (the default).
    opt = tf.optimizers.Adagrad(learning_rate=0.1)
    w, b = make_variables()
    opt.build([w, b])
    slots = opt.variables[2:]
    assert [tuple(s.shape) for s in slots] == [(3, 2), (2,)]
    for s in slots:
        assert stem(s).endswith("_accumulator")
        np.testing.assert_array_equal(s.numpy(), np.full(s.shape, 0.1, np.float32))


# ---------------------------------------------------------------------------
# Missing and malformed gradients
# ---------------------------------------------------------------------------

def test_none_gradient_warns_and_leaves_that_variable_alone(device):
    # Keras: warnings.warn, UserWarning: "Gradients do not exist for variables
    # ['b:0'] when minimizing the loss. If using `model.compile()`, did you
    # forget to provide a `loss` argument?"; w is updated, b is not, and
    # iterations counts the step.
    X, Y = tf.constant(X_VALUES), tf.constant(Y_VALUES)
    opt = tf.optimizers.SGD(learning_rate=0.05)
    w, b = make_variables()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.matmul(X, w) - Y))
    grads = tape.gradient(loss, [w, b])
    assert grads[1] is None
    with pytest.warns(UserWarning) as record:
        opt.apply_gradients(zip(grads, [w, b]))
    assert any("b:0" in str(r.message) for r in record)
    check(w, [[0.7441250085830688, -0.7631999850273132], [0.15569999814033508, 0.27722498774528503],
              [-0.36906251311302185, -0.2849625051021576]])
    check(b, [-0.4000000059604645, 0.20000000298023224])
    assert int(opt.iterations) == 1


def test_all_none_gradients_raise_value_error():
    # Keras: ValueError("No gradients provided for any variable."); the
    # iteration counter is not incremented.
    opt = tf.optimizers.SGD(learning_rate=0.05)
    w, b = make_variables()
    with pytest.raises(ValueError):
        opt.apply_gradients([(None, w), (None, b)])
    assert int(opt.iterations) == 0
    np.testing.assert_array_equal(w.numpy(), np.array(W0, np.float32))


@pytest.mark.parametrize("make", [
    lambda: tf.optimizers.SGD(learning_rate=0.05),
    lambda: tf.optimizers.Adam(learning_rate=0.01),
], ids=["sgd", "adam"])
def test_gradient_of_the_wrong_shape_raises_invalid_argument(make):
    # Keras (gradient [3] for b [2]):
    #   SGD:  InvalidArgumentError "Cannot update variable with shape [2] using
    #         a Tensor with shape [3], shapes must be equal. [Op:AssignSubVariableOp]"
    #   Adam: InvalidArgumentError "Incompatible shapes: [3] vs. [2] [Op:Sub]"
    # (Keras had already updated w by then; gpugrad checks first, which
    # test_optimizer_api.py pins.)
    opt = make()
    w, b = make_variables()
    with pytest.raises(tf.errors.InvalidArgumentError):
        opt.apply_gradients([(tf.ones([3, 2]), w), (tf.ones([3]), b)])
    assert int(opt.iterations) == 0
