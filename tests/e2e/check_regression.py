#!/usr/bin/python3
"""check_regression.py CSV EXPECTED - run in the output directory of
`zkml-registry run` on a regression fixture.

The oracle is independent of our CSV reader and evaluator: Python's csv
module reads the target column (found by its header name, wherever it
stands), and EXPECTED holds the float model's outputs for every row as numpy
computed them in make_fixtures.py. From these it recomputes MSE, MAE and
RMSE and compares them with calibration.json's float figures. The fixed-point
figures cannot differ from the float ones by more than the reported max
absolute output error (triangle inequality, per norm); output.json names no
class and carries the proven sample's target.
"""
import csv
import json
import math
import sys

LABEL_NAMES = ("label", "class", "target", "y")
SAMPLE = 1  # run_fixture.sh proves row 1


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def close(got, want, what):
    if not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-7):
        fail("%s: calibration.json %.9g, recomputed %.9g" % (what, got, want))


def main():
    csv_path, expected_path = sys.argv[1], sys.argv[2]
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().lower() for h in rows[0]]
    cols = [i for i, h in enumerate(header) if h in LABEL_NAMES]
    if len(cols) != 1:
        fail("the fixture should have one target column, has %d" % len(cols))
    targets = [float(r[cols[0]]) for r in rows[1:] if r]
    with open(expected_path, newline="") as f:
        outputs = [float(r[0]) for r in list(csv.reader(f))[1:] if r]
    if len(outputs) != len(targets):
        fail("%d expected outputs for %d rows" % (len(outputs), len(targets)))
    n = len(targets)
    errors = [o - t for o, t in zip(outputs, targets)]
    want = {"mse": sum(e * e for e in errors) / n, "mae": sum(abs(e) for e in errors) / n}
    want["rmse"] = math.sqrt(want["mse"])

    cal = json.load(open("calibration.json"))
    if cal.get("task") != "regression" or cal.get("metric") != "mse":
        fail("task %r, metric %r" % (cal.get("task"), cal.get("metric")))
    if "accuracy" in cal or "argmax_agreement" in cal:
        fail("a regression report carries accuracy or argmax agreement")
    reg = cal["regression"]
    if reg["target_column"] != rows[0][cols[0]].strip():
        fail("target column %r" % reg["target_column"])
    fl, fx = reg["float"], reg["fixed_point"]
    if fl["samples"] != n or fx["samples"] != n or cal["failed_samples"] != 0:
        fail("samples: float %s, fixed %s, rows %d" % (fl["samples"], fx["samples"], n))
    for k in ("mse", "mae", "rmse"):
        close(fl[k], want[k], "float " + k)
    close(fx["rmse"] ** 2, fx["mse"], "fixed-point rmse^2 against mse")
    bound = cal["max_abs_error"]
    if not 0 < bound <= 0.02:
        fail("max_abs_error %g outside (0, 0.02]" % bound)
    for k in ("mae", "rmse"):
        if abs(fx[k] - fl[k]) > bound + 1e-9:
            fail("fixed-point %s %.6g is more than max_abs_error %.3g from float %.6g"
                 % (k, fx[k], bound, fl[k]))

    out = json.load(open("output.json"))
    if out["predicted_class"] is not None:
        fail("output.json predicts class %r for a regression model" % out["predicted_class"])
    if out["target"] != targets[SAMPLE]:
        fail("output.json target %r, CSV row %d has %r" % (out["target"], SAMPLE, targets[SAMPLE]))
    if abs(out["dequantized"][0] - outputs[SAMPLE]) > bound + 1e-6:
        fail("proven output %.6g, numpy %.6g" % (out["dequantized"][0], outputs[SAMPLE]))
    print("regression metrics match: float mse %.6f mae %.6f rmse %.6f; fixed point mse %.6f "
          "mae %.6f rmse %.6f (max abs error %.5f)" % (fl["mse"], fl["mae"], fl["rmse"],
                                                        fx["mse"], fx["mae"], fx["rmse"], bound))


if __name__ == "__main__":
    main()
