;; Logistic regression's Newton steps: products with the design matrix [1 | X] and the Cholesky solve (see
;; ../newton.ts, which owns the memory layout and hands rows over in chunks).
;; Built into newton.wasm.ts by `npm run build:wasm`; a test checks the two agree.
;;
;; Why WebAssembly: these loops are all of a fit's arithmetic. As JavaScript they run
;; interpreted until V8 has compiled them, which on a few thousand rows is most of the
;; fit, and compiled they still bounds-check every typed-array access; WebAssembly is
;; compiled before the first call. Every sum adds the same IEEE doubles in the same order
;; as the JavaScript it replaced (dot products in four running sums by row mod 4, a
;; chunk's sums carried into the next), so fitted coefficients match it bit for bit.
;;
;; A chunk holds m rows: D dense columns (column a at $dense + a $stride, one f64 per
;; row), the model column number of each at $idx (i32), and the sparse columns as each
;; row's entries: row i's are [rs[i], rs[i+1]) of $ec (i32 model column) and $ev (f64).
(module
  (import "env" "memory" (memory 1))
  ;; e^x and log(1 + x) as JavaScript's Math.exp and Math.log1p compute them: V8 takes both
  ;; from fdlibm, and these are fdlibm's algorithms step for step (the same operations on
  ;; the same constants, in the same order), so they return the same doubles. Computed
  ;; here instead of calling the JavaScript functions because a call out of WebAssembly
  ;; costs more than the function, twice per row per loss. A test holds both to Math's
  ;; on every bit over each range they branch on.
  ;;
  ;; fdlibm: Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
  ;; Developed at SunSoft, a Sun Microsystems, Inc. business. Permission to use, copy,
  ;; modify, and distribute this software is freely granted, provided that this notice
  ;; is preserved.

  ;; Reduces x to r = hi - lo with x = k ln2 + r and |r| <= ln2 / 2, then
  ;; e^r = 1 + r + r c / (2 - c) from a degree-5 rational approximation, then scales by 2^k.
  (func $exp (export "exp") (param $x f64) (result f64)
    (local $hx i32) (local $xsb i32) (local $k i32) (local $hi f64) (local $lo f64)
    (local $t f64) (local $c f64) (local $y f64) (local $twopk f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $xsb (i32.shr_u (local.get $hx) (i32.const 31)))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x7FFFFFFF)))
    ;; |x| >= 709.78...: NaN, infinities, overflow and underflow.
    (if (i32.ge_u (local.get $hx) (i32.const 0x40862E42))
      (then
        (if (i32.ge_u (local.get $hx) (i32.const 0x7FF00000))
          (then
            (if (i32.or (i32.and (local.get $hx) (i32.const 0xFFFFF))
                  (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x))))
              (then (return (f64.add (local.get $x) (local.get $x)))))
            (return (select (local.get $x) (f64.const 0) (i32.eqz (local.get $xsb))))))
        (if (f64.gt (local.get $x) (f64.const 0x1.62e42fefa39efp+9)) (then (return (f64.const inf))))
        (if (f64.lt (local.get $x) (f64.const -0x1.74910d52d3051p+9)) (then (return (f64.const 0))))))
    (if (i32.gt_u (local.get $hx) (i32.const 0x3FD62E42))
      (then
        (if (i32.lt_u (local.get $hx) (i32.const 0x3FF0A2B2))
          (then
            ;; ln2 / 2 < |x| < 1.5 ln2: k = ±1. V8 returns e itself for x = 1.
            (if (f64.eq (local.get $x) (f64.const 1)) (then (return (f64.const 0x1.5bf0a8b145769p+1))))
            (local.set $hi (f64.sub (local.get $x)
              (select (f64.const -0x1.62e42fee00000p-1) (f64.const 0x1.62e42fee00000p-1) (local.get $xsb))))
            (local.set $lo (select (f64.const -0x1.a39ef35793c76p-33) (f64.const 0x1.a39ef35793c76p-33) (local.get $xsb)))
            (local.set $k (i32.sub (i32.const 1) (i32.shl (local.get $xsb) (i32.const 1)))))
          (else
            (local.set $k (i32.trunc_f64_s
              (f64.add (f64.mul (f64.const 0x1.71547652b82fep+0) (local.get $x))
                (select (f64.const -0.5) (f64.const 0.5) (local.get $xsb)))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.const 0x1.62e42fee00000p-1))))
            (local.set $lo (f64.mul (local.get $t) (f64.const 0x1.a39ef35793c76p-33)))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
      (else
        ;; |x| < 2^-28: 1 + x.
        (if (i32.lt_u (local.get $hx) (i32.const 0x3E300000))
          (then (return (f64.add (f64.const 1) (local.get $x)))))))
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (local.set $twopk
      (f64.reinterpret_i64 (i64.shl
        (i64.extend_i32_u (i32.add (i32.const 0x3FF00000)
          (i32.shl
            (select (local.get $k) (i32.add (local.get $k) (i32.const 1000))
              (i32.ge_s (local.get $k) (i32.const -1021)))
            (i32.const 20))))
        (i64.const 32))))
    (local.set $c (f64.sub (local.get $x)
      (f64.mul (local.get $t)
        (f64.add (f64.const 0x1.555555555553ep-3)
          (f64.mul (local.get $t)
            (f64.add (f64.const -0x1.6c16c16bebd93p-9)
              (f64.mul (local.get $t)
                (f64.add (f64.const 0x1.1566aaf25de2cp-14)
                  (f64.mul (local.get $t)
                    (f64.add (f64.const -0x1.bbd41c5d26bf1p-20)
                      (f64.mul (local.get $t) (f64.const 0x1.6376972bea4d0p-25))))))))))))
    (if (i32.eqz (local.get $k))
      (then
        (return (f64.sub (f64.const 1)
          (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2)))
            (local.get $x))))))
    (local.set $y (f64.sub (f64.const 1)
      (f64.sub
        (f64.sub (local.get $lo)
          (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
        (local.get $hi))))
    (if (i32.ge_s (local.get $k) (i32.const -1021))
      (then
        (if (i32.eq (local.get $k) (i32.const 1024))
          (then (return (f64.mul (f64.mul (local.get $y) (f64.const 2)) (f64.const 0x1p+1023)))))
        (return (f64.mul (local.get $y) (local.get $twopk)))))
    (f64.mul (f64.mul (local.get $y) (local.get $twopk)) (f64.const 0x1p-1000)))

  ;; With 1 + x = 2^k (1 + f), sqrt(2)/2 < 1 + f < sqrt(2): log(1 + f) from s = f / (2 + f)
  ;; and a degree-14 approximation, plus k ln2 and the rounding of 1 + x corrected by c / u.
  (func $log1p (export "log1p") (param $x f64) (result f64)
    (local $hx i32) (local $ax i32) (local $k i32) (local $hu i32) (local $u f64) (local $f f64)
    (local $c f64) (local $hfsq f64) (local $s f64) (local $z f64) (local $R f64) (local $dk f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $ax (i32.and (local.get $hx) (i32.const 0x7FFFFFFF)))
    (local.set $k (i32.const 1))
    (if (i32.lt_s (local.get $hx) (i32.const 0x3FDA827A))
      (then
        ;; x <= -1: -infinity at -1, NaN below.
        (if (i32.ge_u (local.get $ax) (i32.const 0x3FF00000))
          (then
            (if (f64.eq (local.get $x) (f64.const -1)) (then (return (f64.const -inf))))
            (return (f64.const nan))))
        ;; |x| < 2^-29: x below 2^-54, else x - x² / 2.
        (if (i32.lt_u (local.get $ax) (i32.const 0x3E200000))
          (then
            (if (i32.lt_u (local.get $ax) (i32.const 0x3C900000)) (then (return (local.get $x))))
            (return (f64.sub (local.get $x) (f64.mul (f64.mul (local.get $x) (local.get $x)) (f64.const 0.5))))))
        ;; sqrt(2)/2 <= 1 + x < sqrt(2): f = x exactly, k = 0.
        (if (i32.or (i32.gt_s (local.get $hx) (i32.const 0)) (i32.le_s (local.get $hx) (i32.const 0xBFD2BEC4)))
          (then
            (local.set $k (i32.const 0))
            (local.set $f (local.get $x))
            (local.set $hu (i32.const 1))))))
    (if (i32.ge_s (local.get $hx) (i32.const 0x7FF00000)) (then (return (f64.add (local.get $x) (local.get $x)))))
    (if (local.get $k)
      (then
        (if (i32.lt_s (local.get $hx) (i32.const 0x43400000))
          (then
            (local.set $u (f64.add (f64.const 1) (local.get $x)))
            (local.set $hu (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $u)) (i64.const 32))))
            (local.set $k (i32.sub (i32.shr_s (local.get $hu) (i32.const 20)) (i32.const 1023)))
            (local.set $c
              (f64.div
                (if (result f64) (i32.gt_s (local.get $k) (i32.const 0))
                  (then (f64.sub (f64.const 1) (f64.sub (local.get $u) (local.get $x))))
                  (else (f64.sub (local.get $x) (f64.sub (local.get $u) (f64.const 1)))))
                (local.get $u))))
          (else
            (local.set $u (local.get $x))
            (local.set $hu (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $u)) (i64.const 32))))
            (local.set $k (i32.sub (i32.shr_s (local.get $hu) (i32.const 20)) (i32.const 1023)))
            (local.set $c (f64.const 0))))
        (local.set $hu (i32.and (local.get $hu) (i32.const 0xFFFFF)))
        (if (i32.lt_s (local.get $hu) (i32.const 0x6A09E))
          (then (local.set $u (call $withHigh (local.get $u) (i32.or (local.get $hu) (i32.const 0x3FF00000)))))
          (else
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (local.set $u (call $withHigh (local.get $u) (i32.or (local.get $hu) (i32.const 0x3FE00000))))
            (local.set $hu (i32.shr_s (i32.sub (i32.const 0x00100000) (local.get $hu)) (i32.const 2)))))
        (local.set $f (f64.sub (local.get $u) (f64.const 1)))))
    (local.set $hfsq (f64.mul (f64.mul (f64.const 0.5) (local.get $f)) (local.get $f)))
    (local.set $dk (f64.convert_i32_s (local.get $k)))
    (if (i32.eqz (local.get $hu))
      (then
        ;; |f| < 2^-20.
        (if (f64.eq (local.get $f) (f64.const 0))
          (then
            (if (i32.eqz (local.get $k)) (then (return (f64.const 0))))
            (local.set $c (f64.add (local.get $c) (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33))))
            (return (f64.add (f64.mul (local.get $dk) (f64.const 0x1.62e42fee00000p-1)) (local.get $c)))))
        (local.set $R (f64.mul (local.get $hfsq)
          (f64.sub (f64.const 1) (f64.mul (f64.const 0x1.5555555555555p-1) (local.get $f)))))
        (if (i32.eqz (local.get $k)) (then (return (f64.sub (local.get $f) (local.get $R)))))
        (return (f64.sub (f64.mul (local.get $dk) (f64.const 0x1.62e42fee00000p-1))
          (f64.sub
            (f64.sub (local.get $R)
              (f64.add (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33)) (local.get $c)))
            (local.get $f))))))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (local.set $R (f64.mul (local.get $z)
      (f64.add (f64.const 0x1.5555555555593p-1)
        (f64.mul (local.get $z)
          (f64.add (f64.const 0x1.999999997fa04p-2)
            (f64.mul (local.get $z)
              (f64.add (f64.const 0x1.2492494229359p-2)
                (f64.mul (local.get $z)
                  (f64.add (f64.const 0x1.c71c51d8e78afp-3)
                    (f64.mul (local.get $z)
                      (f64.add (f64.const 0x1.7466496cb03dep-3)
                        (f64.mul (local.get $z)
                          (f64.add (f64.const 0x1.39a09d078c69fp-3)
                            (f64.mul (local.get $z) (f64.const 0x1.2f112df3e5244p-3)))))))))))))))
    (if (i32.eqz (local.get $k))
      (then
        (return (f64.sub (local.get $f)
          (f64.sub (local.get $hfsq) (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R))))))))
    (f64.sub (f64.mul (local.get $dk) (f64.const 0x1.62e42fee00000p-1))
      (f64.sub
        (f64.sub (local.get $hfsq)
          (f64.add (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R)))
            (f64.add (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33)) (local.get $c))))
        (local.get $f))))

  ;; x with its high 32 bits replaced by hi.
  (func $withHigh (param $x f64) (param $hi i32) (result f64)
    (f64.reinterpret_i64
      (i64.or (i64.and (i64.reinterpret_f64 (local.get $x)) (i64.const 0xFFFFFFFF))
        (i64.shl (i64.extend_i32_u (local.get $hi)) (i64.const 32)))))

;; Per row, from the log-odds x = eta[i] and t = e^-|x| at $ex (as `loss` left it for
  ;; these log-odds): p = sigmoid(x) (1 / (1 + t) for x >= 0, else t / (1 + t): the same
  ;; doubles as 1 / (1 + e^-x) and e^x / (1 + e^x), never overflowing), the weighted
  ;; residual r = w (p - y) and curvature s = w max(p (1 - p), 1e-12). y is one byte per row.
  (func (export "weights") (param $eta i32) (param $ex i32) (param $w i32) (param $y i32) (param $r i32) (param $s i32) (param $n i32)
    (local $i i32) (local $at i32) (local $t f64) (local $p f64) (local $wi f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 3)))
        (local.set $t (f64.load (i32.add (local.get $ex) (local.get $at))))
        (local.set $p
          (if (result f64) (f64.ge (f64.load (i32.add (local.get $eta) (local.get $at))) (f64.const 0))
            (then (f64.div (f64.const 1) (f64.add (f64.const 1) (local.get $t))))
            (else (f64.div (local.get $t) (f64.add (f64.const 1) (local.get $t))))))
        (local.set $wi (f64.load (i32.add (local.get $w) (local.get $at))))
        (f64.store (i32.add (local.get $r) (local.get $at))
          (f64.mul (local.get $wi)
            (f64.sub (local.get $p) (f64.convert_i32_u (i32.load8_u (i32.add (local.get $y) (local.get $i)))))))
        (f64.store (i32.add (local.get $s) (local.get $at))
          (f64.mul (local.get $wi)
            (f64.max (f64.mul (local.get $p) (f64.sub (f64.const 1) (local.get $p))) (f64.const 1e-12))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; The weighted log-loss over the rows, added in row order: w (softplus(x) - y x) with
  ;; softplus(x) = log(1 + e^x) as x + log1p(e^-x) for x > 0, else log1p(e^x). Keeps
  ;; t = e^-|x| (the e^-x or e^x just taken) at $ex for `weights`.
  (func (export "loss") (param $eta i32) (param $ex i32) (param $w i32) (param $y i32) (param $n i32) (result f64)
    (local $i i32) (local $at i32) (local $x f64) (local $t f64) (local $sp f64) (local $f f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 3)))
        (local.set $x (f64.load (i32.add (local.get $eta) (local.get $at))))
        (if (f64.gt (local.get $x) (f64.const 0))
          (then
            (local.set $t (call $exp (f64.neg (local.get $x))))
            (local.set $sp (f64.add (local.get $x) (call $log1p (local.get $t)))))
          (else
            (local.set $t (call $exp (local.get $x)))
            (local.set $sp (call $log1p (local.get $t)))))
        (f64.store (i32.add (local.get $ex) (local.get $at)) (local.get $t))
        (local.set $f
          (f64.add (local.get $f)
            (f64.mul (f64.load (i32.add (local.get $w) (local.get $at)))
              (f64.sub (local.get $sp)
                (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $y) (local.get $i)))) (local.get $x))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $f))

  ;; out[i] = sum over dense a of beta[idx[a]] x[a][i], then plus the sum of row i's
  ;; sparse entries beta[col] v.
  (func (export "margin")
    (param $dense i32) (param $stride i32) (param $D i32) (param $idx i32) (param $beta i32)
    (param $rs i32) (param $ec i32) (param $ev i32) (param $m i32) (param $out i32)
    (local $a i32) (local $c i32) (local $b f64) (local $i i32) (local $end i32)
    (local $e i32) (local $e1 i32) (local $t f64)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (memory.fill (local.get $out) (i32.const 0) (local.get $end))
    (block $dense_done
      (loop $column
        (br_if $dense_done (i32.ge_u (local.get $a) (local.get $D)))
        (local.set $b
          (f64.load (i32.add (local.get $beta)
            (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $a) (i32.const 2)))) (i32.const 3)))))
        (local.set $c (i32.add (local.get $dense) (i32.mul (local.get $a) (local.get $stride))))
        (local.set $i (i32.const 0))
        (block $rows_done
          (loop $row
            (br_if $rows_done (i32.ge_u (local.get $i) (local.get $end)))
            (f64.store (i32.add (local.get $out) (local.get $i))
              (f64.add (f64.load (i32.add (local.get $out) (local.get $i)))
                (f64.mul (local.get $b) (f64.load (i32.add (local.get $c) (local.get $i))))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $row)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $column)))
    (local.set $i (i32.const 0))
    (block $sparse_done
      (loop $srow
        (br_if $sparse_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $e (i32.load (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $e1 (i32.load offset=4 (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $t (f64.const 0))
        (block $entries_done
          (loop $entry
            (br_if $entries_done (i32.ge_u (local.get $e) (local.get $e1)))
            (local.set $t
              (f64.add (local.get $t)
                (f64.mul
                  (f64.load (i32.add (local.get $beta)
                    (i32.shl (i32.load (i32.add (local.get $ec) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 3))))
                  (f64.load (i32.add (local.get $ev) (i32.shl (local.get $e) (i32.const 3)))))))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $entry)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))) (local.get $t)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $srow))))

  ;; Adds the products of $u and $v (m f64 each) to the four running sums at $lanes:
  ;; rows 4q + j go to sum j, the rows after the last whole group of four to sum 0.
  (func $dot4 (param $u i32) (param $v i32) (param $m i32) (param $lanes i32)
    (local $s01 v128) (local $s23 v128) (local $s0 f64) (local $i i32) (local $quads i32) (local $end i32)
    (local.set $s01 (v128.load (local.get $lanes)))
    (local.set $s23 (v128.load offset=16 (local.get $lanes)))
    (local.set $quads (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 3)))
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    ;; Two f64 lanes per vector: sums 0 and 1 in $s01, 2 and 3 in $s23, each lane an
    ;; ordinary IEEE multiply and add, as the four scalar sums were.
    (block $quads_done
      (loop $quad
        (br_if $quads_done (i32.ge_u (local.get $i) (local.get $quads)))
        (local.set $s01
          (f64x2.add (local.get $s01)
            (f64x2.mul (v128.load (i32.add (local.get $u) (local.get $i)))
              (v128.load (i32.add (local.get $v) (local.get $i))))))
        (local.set $s23
          (f64x2.add (local.get $s23)
            (f64x2.mul (v128.load offset=16 (i32.add (local.get $u) (local.get $i)))
              (v128.load offset=16 (i32.add (local.get $v) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $quad)))
    (local.set $s0 (f64x2.extract_lane 0 (local.get $s01)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $s0
          (f64.add (local.get $s0)
            (f64.mul (f64.load (i32.add (local.get $u) (local.get $i)))
              (f64.load (i32.add (local.get $v) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $tail)))
    (v128.store (local.get $lanes) (f64x2.replace_lane 0 (local.get $s01) (local.get $s0)))
    (v128.store offset=16 (local.get $lanes) (local.get $s23)))

  ;; Gradient X'r: dense column a's dot product with r into the four sums at $lanes + 32 a;
  ;; each sparse entry adds v r[i] to g[col].
  (func (export "gradient")
    (param $dense i32) (param $stride i32) (param $D i32) (param $r i32) (param $m i32) (param $lanes i32)
    (param $rs i32) (param $ec i32) (param $ev i32) (param $g i32)
    (local $a i32) (local $i i32) (local $e i32) (local $e1 i32) (local $ri f64) (local $at i32)
    (block $dense_done
      (loop $column
        (br_if $dense_done (i32.ge_u (local.get $a) (local.get $D)))
        (call $dot4
          (i32.add (local.get $dense) (i32.mul (local.get $a) (local.get $stride)))
          (local.get $r) (local.get $m)
          (i32.add (local.get $lanes) (i32.shl (local.get $a) (i32.const 5))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $column)))
    (block $sparse_done
      (loop $row
        (br_if $sparse_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $e (i32.load (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $e1 (i32.load offset=4 (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $ri (f64.load (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
        (block $entries_done
          (loop $entry
            (br_if $entries_done (i32.ge_u (local.get $e) (local.get $e1)))
            (local.set $at
              (i32.add (local.get $g)
                (i32.shl (i32.load (i32.add (local.get $ec) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 3))))
            (f64.store (local.get $at)
              (f64.add (f64.load (local.get $at))
                (f64.mul (f64.load (i32.add (local.get $ev) (i32.shl (local.get $e) (i32.const 3)))) (local.get $ri))))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $entry)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; Hessian X' diag(s) X, upper pairs of dense columns and every pair with a sparse one:
  ;; for dense a <= b, the dot product of sc = s x[a] with x[b] into the four sums at
  ;; $lanes (pairs in order (0,0), (0,1), …, (1,1), …); for each sparse entry (k, v) of
  ;; row i, t = s[i] v adds t x[a][i] to H[idx[a], k] for every dense a and t v' to
  ;; H[k, k'] for the row's entries (k', v') from this one on. $H is d × d, row-major.
  (func (export "hessian")
    (param $dense i32) (param $stride i32) (param $D i32) (param $idx i32) (param $s i32) (param $sc i32)
    (param $m i32) (param $lanes i32) (param $rs i32) (param $ec i32) (param $ev i32) (param $H i32) (param $d i32)
    (local $a i32) (local $b i32) (local $ca i32) (local $i i32) (local $end i32) (local $pair i32)
    (local $e i32) (local $e1 i32) (local $f i32) (local $k i32) (local $si f64) (local $t f64) (local $at i32)
    (local $row i32)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (local.set $pair (local.get $lanes))
    (block $dense_done
      (loop $column
        (br_if $dense_done (i32.ge_u (local.get $a) (local.get $D)))
        (local.set $ca (i32.add (local.get $dense) (i32.mul (local.get $a) (local.get $stride))))
        (local.set $i (i32.const 0))
        (block $scaled
          (loop $scale
            (br_if $scaled (i32.ge_u (local.get $i) (local.get $end)))
            (f64.store (i32.add (local.get $sc) (local.get $i))
              (f64.mul (f64.load (i32.add (local.get $s) (local.get $i)))
                (f64.load (i32.add (local.get $ca) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $scale)))
        (local.set $b (local.get $a))
        (block $pairs_done
          (loop $pairs
            (br_if $pairs_done (i32.ge_u (local.get $b) (local.get $D)))
            (call $dot4 (local.get $sc)
              (i32.add (local.get $dense) (i32.mul (local.get $b) (local.get $stride)))
              (local.get $m) (local.get $pair))
            (local.set $pair (i32.add (local.get $pair) (i32.const 32)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $pairs)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $column)))
    (local.set $i (i32.const 0))
    (block $sparse_done
      (loop $srow
        (br_if $sparse_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $e (i32.load (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $e1 (i32.load offset=4 (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $si (f64.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 3)))))
        ;; Row i of dense column a is at $row + a $stride.
        (local.set $row (i32.add (local.get $dense) (i32.shl (local.get $i) (i32.const 3))))
        (block $entries_done
          (loop $entry
            (br_if $entries_done (i32.ge_u (local.get $e) (local.get $e1)))
            (local.set $k (i32.load (i32.add (local.get $ec) (i32.shl (local.get $e) (i32.const 2)))))
            (local.set $t
              (f64.mul (local.get $si) (f64.load (i32.add (local.get $ev) (i32.shl (local.get $e) (i32.const 3))))))
            (local.set $a (i32.const 0))
            (block $with_dense
              (loop $dense_pair
                (br_if $with_dense (i32.ge_u (local.get $a) (local.get $D)))
                (local.set $at
                  (i32.add (local.get $H)
                    (i32.shl
                      (i32.add
                        (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $a) (i32.const 2)))) (local.get $d))
                        (local.get $k))
                      (i32.const 3))))
                (f64.store (local.get $at)
                  (f64.add (f64.load (local.get $at))
                    (f64.mul (local.get $t)
                      (f64.load (i32.add (local.get $row) (i32.mul (local.get $a) (local.get $stride)))))))
                (local.set $a (i32.add (local.get $a) (i32.const 1)))
                (br $dense_pair)))
            (local.set $f (local.get $e))
            (block $with_sparse
              (loop $sparse_pair
                (br_if $with_sparse (i32.ge_u (local.get $f) (local.get $e1)))
                (local.set $at
                  (i32.add (local.get $H)
                    (i32.shl
                      (i32.add (i32.mul (local.get $k) (local.get $d))
                        (i32.load (i32.add (local.get $ec) (i32.shl (local.get $f) (i32.const 2)))))
                      (i32.const 3))))
                (f64.store (local.get $at)
                  (f64.add (f64.load (local.get $at))
                    (f64.mul (local.get $t) (f64.load (i32.add (local.get $ev) (i32.shl (local.get $f) (i32.const 3)))))))
                (local.set $f (i32.add (local.get $f) (i32.const 1)))
                (br $sparse_pair)))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $entry)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $srow))))

;; Finishes the Hessian at $H that `hessian` summed chunk by chunk, for `cholesky`: dense
  ;; pair p's four sums at $lanes + 32 p, added ((s0 + s1) + s2) + s3, become H[idx[a], idx[b]]
  ;; (pairs in `hessian`'s order; idx ascending, so the upper triangle); then each pair
  ;; a < b gets H[a, b] + H[b, a] on both sides (a sparse entry may have been summed into
  ;; either). The same doubles as the JavaScript loops it replaced.
  (func (export "settle") (param $H i32) (param $lanes i32) (param $idx i32) (param $D i32) (param $d i32)
    (local $a i32) (local $b i32) (local $p i32) (local $ab i32) (local $ba i32) (local $t f64)
    (local.set $p (local.get $lanes))
    (block $dense_done
      (loop $dense_a
        (br_if $dense_done (i32.ge_u (local.get $a) (local.get $D)))
        (local.set $b (local.get $a))
        (block $pairs_done
          (loop $dense_b
            (br_if $pairs_done (i32.ge_u (local.get $b) (local.get $D)))
            (f64.store
              (i32.add (local.get $H)
                (i32.shl
                  (i32.add
                    (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $a) (i32.const 2)))) (local.get $d))
                    (i32.load (i32.add (local.get $idx) (i32.shl (local.get $b) (i32.const 2)))))
                  (i32.const 3)))
              (f64.add
                (f64.add
                  (f64.add (f64.load (local.get $p)) (f64.load offset=8 (local.get $p)))
                  (f64.load offset=16 (local.get $p)))
                (f64.load offset=24 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $dense_b)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $dense_a)))
    (local.set $a (i32.const 0))
    (block $mirror_done
      (loop $mirror_a
        (br_if $mirror_done (i32.ge_u (local.get $a) (local.get $d)))
        (local.set $b (i32.add (local.get $a) (i32.const 1)))
        (block $row_done
          (loop $mirror_b
            (br_if $row_done (i32.ge_u (local.get $b) (local.get $d)))
            (local.set $ab
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $d)) (local.get $b)) (i32.const 3))))
            (local.set $ba
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $d)) (local.get $a)) (i32.const 3))))
            (local.set $t (f64.add (f64.load (local.get $ab)) (f64.load (local.get $ba))))
            (f64.store (local.get $ab) (local.get $t))
            (f64.store (local.get $ba) (local.get $t))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $mirror_b)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $mirror_a))))

  ;; The sums of the n row weights at $w, of all rows and of those labelled 1 (y one byte
  ;; per row), each in row order, into $out and $out + 8.
  (func (export "weightSums") (param $w i32) (param $y i32) (param $n i32) (param $out i32)
    (local $i i32) (local $wi f64) (local $all f64) (local $pos f64)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $wi (f64.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $all (f64.add (local.get $all) (local.get $wi)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $y) (local.get $i))) (i32.const 1))
          (then (local.set $pos (f64.add (local.get $pos) (local.get $wi)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
    (f64.store (local.get $out) (local.get $all))
    (f64.store offset=8 (local.get $out) (local.get $pos)))

  ;; Cholesky factor L (row-major d × d, lower triangle) of the symmetric positive definite
  ;; A + $ridge I at $A, the ridge left off entry (0, 0) (the intercept is not penalised), into
  ;; $L, A read from its lower triangle: entry (i, j), j <= i, is A[i, j] (plus the ridge first,
  ;; on the diagonal) less the sum over k < j of
  ;; L[i, k] L[j, k] taken in order, then its square root (at least 1e-12) on the diagonal,
  ;; divided by L[j, j] below it.
  (func (export "cholesky") (param $A i32) (param $L i32) (param $d i32) (param $ridge f64)
    (local $i i32) (local $j i32) (local $k i32) (local $ri i32) (local $rj i32) (local $s f64)
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $ri (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.gt_u (local.get $j) (local.get $i)))
            (local.set $rj (i32.shl (i32.mul (local.get $j) (local.get $d)) (i32.const 3)))
            (local.set $s (f64.load (i32.add (local.get $A) (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3))))))
            (if (i32.and (i32.eq (local.get $i) (local.get $j)) (i32.ne (local.get $i) (i32.const 0)))
              (then (local.set $s (f64.add (local.get $s) (local.get $ridge)))))
            (local.set $k (i32.const 0))
            (block $sum_done
              (loop $sum
                (br_if $sum_done (i32.ge_u (local.get $k) (local.get $j)))
                (local.set $s
                  (f64.sub (local.get $s)
                    (f64.mul
                      (f64.load (i32.add (local.get $L) (i32.add (local.get $ri) (i32.shl (local.get $k) (i32.const 3)))))
                      (f64.load (i32.add (local.get $L) (i32.add (local.get $rj) (i32.shl (local.get $k) (i32.const 3))))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $sum)))
            (f64.store (i32.add (local.get $L) (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3))))
              (if (result f64) (i32.eq (local.get $i) (local.get $j))
                (then (f64.sqrt (f64.max (local.get $s) (f64.const 1e-12))))
                (else
                  (f64.div (local.get $s)
                    (f64.load (i32.add (local.get $L) (i32.add (local.get $rj) (i32.shl (local.get $j) (i32.const 3)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; Solves L L' x = b for the factor at $L: forward into $z, then back into $x, each sum
  ;; taken in order of k.
  (func (export "solve") (param $L i32) (param $b i32) (param $z i32) (param $x i32) (param $d i32)
    (local $i i32) (local $k i32) (local $s f64) (local $dd i32)
    ;; $dd: bytes from one row of L to the next.
    (local.set $dd (i32.shl (local.get $d) (i32.const 3)))
    (block $forward_done
      (loop $forward
        (br_if $forward_done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $s (f64.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $k (i32.const 0))
        (block $sum_done
          (loop $sum
            (br_if $sum_done (i32.ge_u (local.get $k) (local.get $i)))
            (local.set $s
              (f64.sub (local.get $s)
                (f64.mul
                  (f64.load (i32.add (local.get $L)
                    (i32.add (i32.mul (local.get $i) (local.get $dd)) (i32.shl (local.get $k) (i32.const 3)))))
                  (f64.load (i32.add (local.get $z) (i32.shl (local.get $k) (i32.const 3)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sum)))
        (f64.store (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3)))
          (f64.div (local.get $s)
            (f64.load (i32.add (local.get $L)
              (i32.add (i32.mul (local.get $i) (local.get $dd)) (i32.shl (local.get $i) (i32.const 3)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $forward)))
    (local.set $i (local.get $d))
    (block $back_done
      (loop $back
        (br_if $back_done (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $s (f64.load (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $k (i32.add (local.get $i) (i32.const 1)))
        (block $sum_done
          (loop $sum
            (br_if $sum_done (i32.ge_u (local.get $k) (local.get $d)))
            (local.set $s
              (f64.sub (local.get $s)
                (f64.mul
                  (f64.load (i32.add (local.get $L)
                    (i32.add (i32.mul (local.get $k) (local.get $dd)) (i32.shl (local.get $i) (i32.const 3)))))
                  (f64.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 3)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sum)))
        (f64.store (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))
          (f64.div (local.get $s)
            (f64.load (i32.add (local.get $L)
              (i32.add (i32.mul (local.get $i) (local.get $dd)) (i32.shl (local.get $i) (i32.const 3)))))))
        (br $back))))

  ;; Building the sparse entries. A column's values are copied in, a chunk of m rows at a
  ;; time (at $x); "nonzero" is what JavaScript's x !== 0 says (NaN counts, -0 does not).

  ;; How many of the m values at $x are nonzero.
  (func (export "nonzeros") (param $x i32) (param $m i32) (result i32)
    (local $i i32) (local $end i32) (local $count i32)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $count
          (i32.add (local.get $count) (f64.ne (f64.load (i32.add (local.get $x) (local.get $i))) (f64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (local.get $count))

  ;; counts[i] (i32) += 1 for each nonzero x[i].
  (func (export "countRows") (param $x i32) (param $m i32) (param $counts i32)
    (local $i i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 2))))
        (i32.store (local.get $at)
          (i32.add (i32.load (local.get $at))
            (f64.ne (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))) (f64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; Running sums in place over the n i32 at $counts (each becomes the sum up to itself).
  (func (export "runningSum") (param $counts i32) (param $n i32)
    (local $i i32) (local $sum i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $at))))
        (i32.store (local.get $at) (local.get $sum))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; Appends (k, x[i]) to row i's entries for each nonzero x[i]: at position cursor[i] of
  ;; $ec (i32) and $ev (f64), which then moves on by one.
  (func (export "scatter") (param $x i32) (param $m i32) (param $k i32) (param $cursor i32) (param $ec i32) (param $ev i32)
    (local $i i32) (local $v f64) (local $at i32) (local $p i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $v (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))))
        (if (f64.ne (local.get $v) (f64.const 0))
          (then
            (local.set $at (i32.add (local.get $cursor) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $p (i32.load (local.get $at)))
            (i32.store (i32.add (local.get $ec) (i32.shl (local.get $p) (i32.const 2))) (local.get $k))
            (f64.store (i32.add (local.get $ev) (i32.shl (local.get $p) (i32.const 3))) (local.get $v))
            (i32.store (local.get $at) (i32.add (local.get $p) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
