#!/usr/bin/python3
"""make_fixtures.py - regenerates tests/evm/fixtures/n<N>/ with snarkjs.

Each fixture is a tiny Groth16 circuit with N public outputs, made and proved
entirely by snarkjs (an independent implementation), so the EVM tests do not
depend on our own prover. The circuit has private inputs x, y and, for
i = 1..N, the constraint (x + i) * y = out_i. We write the .r1cs and the
.wtns ourselves in the iden3 formats and let snarkjs do setup and proving.

Usage: /usr/bin/python3 tests/evm/make_fixtures.py [N ...]   (default 1 2 4 8)
The outputs (verification_key.json, proof.json, public.json, the snarkjs
soliditycalldata and snarkjs's own Solidity verifier, kept as an oracle) are
committed; the setup files are not.
"""
import os
import struct
import subprocess
import sys
import tempfile

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
ROOT = os.path.dirname(os.path.abspath(__file__))
SNARKJS = os.path.join(ROOT, "..", "..", "node_modules", ".bin", "snarkjs")


def section(kind, body):
    return struct.pack("<IQ", kind, len(body)) + body


def fe(v):
    return (v % R).to_bytes(32, "little")


def lc(terms):
    out = struct.pack("<I", len(terms))
    for wire, coeff in sorted(terms):
        out += struct.pack("<I", wire) + fe(coeff)
    return out


def write_r1cs(path, n):
    x, y = n + 1, n + 2
    n_wires = n + 3
    header = struct.pack("<I", 32) + R.to_bytes(32, "little")
    header += struct.pack("<IIIIQI", n_wires, n, 0, 2, n_wires, n)
    cons = b""
    for i in range(1, n + 1):
        cons += lc([(0, i), (x, 1)]) + lc([(y, 1)]) + lc([(i, 1)])
    labels = b"".join(struct.pack("<Q", w) for w in range(n_wires))
    body = section(1, header) + section(2, cons) + section(3, labels)
    with open(path, "wb") as f:
        f.write(b"r1cs" + struct.pack("<II", 1, 3) + body)


def write_wtns(path, n, xv=3, yv=5):
    w = [1] + [(xv + i) * yv for i in range(1, n + 1)] + [xv, yv]
    head = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack("<I", len(w))
    body = section(1, head) + section(2, b"".join(fe(v) for v in w))
    with open(path, "wb") as f:
        f.write(b"wtns" + struct.pack("<II", 2, 2) + body)


def run(*args, out=None):
    res = subprocess.run([SNARKJS, *args], check=True, capture_output=True, text=True)
    if out:
        with open(out, "w") as f:
            f.write(res.stdout)


def make(n, tmp):
    dest = os.path.join(ROOT, "fixtures", "n%d" % n)
    os.makedirs(dest, exist_ok=True)
    r1cs, wtns = os.path.join(tmp, "c%d.r1cs" % n), os.path.join(tmp, "w%d.wtns" % n)
    write_r1cs(r1cs, n)
    write_wtns(wtns, n)
    ptau = os.path.join(tmp, "final.ptau")
    z0, z1 = os.path.join(tmp, "c%d_0.zkey" % n), os.path.join(tmp, "c%d_1.zkey" % n)
    run("groth16", "setup", r1cs, ptau, z0)
    run("zkey", "contribute", z0, z1, "--name=fixture", "-e=fixture entropy %d" % n)
    vk = os.path.join(dest, "verification_key.json")
    proof, public = os.path.join(dest, "proof.json"), os.path.join(dest, "public.json")
    run("zkey", "export", "verificationkey", z1, vk)
    run("groth16", "prove", z1, wtns, proof, public)
    run("groth16", "verify", vk, public, proof)
    run("zkey", "export", "soliditycalldata", public, proof,
        out=os.path.join(dest, "snarkjs_soliditycalldata.txt"))
    run("zkey", "export", "solidityverifier", z1, os.path.join(dest, "snarkjs_Verifier.sol"))


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1, 2, 4, 8]
    with tempfile.TemporaryDirectory() as tmp:
        p0, p1 = os.path.join(tmp, "p0.ptau"), os.path.join(tmp, "p1.ptau")
        run("powersoftau", "new", "bn128", "5", p0)
        run("powersoftau", "contribute", p0, p1, "--name=fixture", "-e=fixture entropy")
        run("powersoftau", "prepare", "phase2", p1, os.path.join(tmp, "final.ptau"))
        for n in sizes:
            make(n, tmp)
            print("fixture n%d done" % n)


if __name__ == "__main__":
    main()
