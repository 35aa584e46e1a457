#!/usr/bin/python3
"""check_field.py - independent big-integer oracle for field_dump.

Runs the C program, then recomputes every printed result with Python's
integers mod p and mod r. Exits 1 on the first mismatch."""
import subprocess
import sys

P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

# The reference document's constants, checked here from their definitions.
assert P == int("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47", 16)
assert R == int("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001", 16)
u = 4965661367192848881
assert P == 36*u**4 + 36*u**3 + 24*u**2 + 6*u + 1
assert R == 36*u**4 + 36*u**3 + 18*u**2 + 6*u + 1
assert (-pow(P, -1, 2**64)) % 2**64 == 0x87d20782e4866389
assert (-pow(R, -1, 2**64)) % 2**64 == 0xc2e1f593efffffff
assert 2**256 % P == 0x0e0a77c19a07df2f666ea36f7879462c0a78eb28f5c70b3dd35d438dc58f0d9d
assert 2**512 % P == 0x06d89f71cab8351f47ab1eff0a417ff6b5e71911d44501fbf32cfc5b538afa89
assert 2**256 % R == 0x0e0a77c19a07df2f666ea36f7879462e36fc76959f60cd29ac96341c4ffffffb
assert 2**512 % R == 0x0216d0b17f4e44a58c49833d53bb808553fe3ab1e35c59e31bb8e645ae216da7


def expect(line, got, want):
    if str(got) != str(want):
        sys.exit(f"MISMATCH: {line}\n  expected {want}")


def check(line, seen):
    f = line.split()
    m = P if f[0] == "fp" else R
    op = f[1]
    a = lambda i: int(f[i])
    if op in ("parse-failed", "bytes-roundtrip-failed", "batchinv"):
        sys.exit(f"C side reported: {line}")
    seen[op] = seen.get(op, 0) + 1
    if op == "add":
        expect(line, a(4), (a(2) + a(3)) % m)
    elif op == "sub":
        expect(line, a(4), (a(2) - a(3)) % m)
    elif op in ("mul", "mul-portable", "mul-adx"):
        expect(line, a(4), a(2) * a(3) % m)
    elif op in ("sqr", "sqr-portable"):
        expect(line, a(3), a(2) * a(2) % m)
    elif op == "neg":
        expect(line, a(3), -a(2) % m)
    elif op == "inv":
        expect(line, a(3), pow(a(2), -1, m) if a(2) else 0)
    elif op == "pow":
        expect(line, a(4), pow(a(2), a(3), m))
    elif op == "sqrt":
        x = a(2)
        is_square = x == 0 or pow(x, (m - 1) // 2, m) == 1
        if f[3] == "none":
            expect(line, "none", "none" if not is_square else "a root")
        else:
            expect(line, int(f[3]) ** 2 % m, x)
    elif op == "toi64":
        x = a(2)
        signed = x if x <= (m - 1) // 2 else x - m
        want = signed if -2**63 <= signed < 2**63 else "none"
        expect(line, f[3], want)
    elif op == "fromi64":
        expect(line, a(3), a(2) % m)
    elif op == "bytesle":
        expect(line, f[3], a(2).to_bytes(32, "little").hex())
    elif op == "bytesbe":
        expect(line, f[3], a(2).to_bytes(32, "big").hex())
    elif op in ("parse", "frombytesle", "frombytesbe"):
        expect(line, f[-1], "rejected")   # field_dump only prints values to refuse
    else:
        sys.exit(f"unknown line: {line}")


def main():
    out = subprocess.run([sys.argv[1]] + sys.argv[2:], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"field_dump failed ({out.returncode}): {out.stderr}")
    seen = {}
    for line in out.stdout.splitlines():
        check(line, seen)
    for op in ("add", "sub", "mul", "sqr", "neg", "inv", "pow", "sqrt", "toi64",
               "fromi64", "bytesle", "bytesbe", "parse", "mul-portable", "sqr-portable"):
        if seen.get(op, 0) == 0:
            sys.exit(f"no '{op}' lines: the dump is incomplete")
    if "mul-adx" not in seen:
        print("note: no ADX assembly on this CPU or compiler; checked the portable C only")
    print("checked", sum(seen.values()), "results:", seen)


main()
