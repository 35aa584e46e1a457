#!/usr/bin/env python3
# tamper.py IN OUT KIND: one targeted change in a .zkey or .ptau (sections parsed
# from the iden3 container; the layouts are in pipeline/snark/zkey.h and ptau.h).
# Used by tests/ceremony/ceremony.sh and tests/service/ceremony_open.sh.
import struct, sys
src, dst, kind = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
pos, sec = 12, {}
for _ in range(struct.unpack_from("<I", b, 8)[0]):
    t, n = struct.unpack_from("<IQ", b, pos)
    sec[t] = (pos + 12, n)
    pos += 12 + n
h = sec[2][0] + 4 + 32 + 4 + 32 + 12          # zkey: alpha1 beta1 beta2 gamma2 delta1 delta2
alpha1, gamma2, delta1, delta2 = h, h + 256, h + 384, h + 448
def swap(s, size, i, j):
    o = sec[s][0]
    a, c = b[o + i * size:o + (i + 1) * size], b[o + j * size:o + (j + 1) * size]
    b[o + i * size:o + (i + 1) * size], b[o + j * size:o + (j + 1) * size] = c, a
if kind == "delta1": b[delta1:delta1 + 64] = b[alpha1:alpha1 + 64]
elif kind == "delta2": b[delta2:delta2 + 128] = b[gamma2:gamma2 + 128]
elif kind == "swap_c": swap(8, 64, 0, 1)
elif kind == "swap_h": swap(9, 64, 0, 1)
elif kind == "chain": b[sec[10][0] + 64 + 4 + 3 * 64 + 128] ^= 1   # transcript of contribution 1
elif kind == "chain_last":                                          # transcript of the last one
    o = sec[10][0] + 64
    n = struct.unpack_from("<I", b, o)[0]
    o += 4
    for i in range(n):
        t = o + 3 * 64 + 128
        o = t + 64 + 4
        o += 4 + struct.unpack_from("<I", b, o)[0]
    b[t] ^= 1
elif kind == "point_h":                                             # H point 3 off the curve
    b[sec[9][0] + 3 * 64 + 7] ^= 0x01
    print(sec[9][0] + 3 * 64)                                       # its byte offset
elif kind == "curve": b[sec[1][0] + 4] ^= 0x10                     # ptau: a byte of q
elif kind == "point": b[sec[12][0] + 64 * 260 + 7] ^= 0x01         # ptau: L_5 of the 2^8 domain
else: sys.exit("unknown tampering " + kind)
open(dst, "wb").write(b)
