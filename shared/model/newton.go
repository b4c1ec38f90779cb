package model

import (
	"math"

	"github.com/leadflow/leadflow/shared/history"
)

// design is a sparse design matrix: row i's non-zero cells are
// cells[start[i]:start[i+1]]. One-hot encoding leaves a row with a handful of
// non-zeros among hundreds of columns, which is what keeps training on
// 100,000 leads fast.
type design struct {
	start []int
	cells []entry
}

func encodeAll(enc *encoder, rows []history.Features) *design {
	x := &design{start: make([]int, 1, len(rows)+1)}
	for _, f := range rows {
		x.cells = enc.encode(f, x.cells)
		x.start = append(x.start, len(x.cells))
	}
	return x
}

func (x *design) rows() int { return len(x.start) - 1 }

func (x *design) row(i int) []entry { return x.cells[x.start[i]:x.start[i+1]] }

// eta is the linear predictor of row i; beta's last element is the intercept.
func (x *design) eta(i int, beta []float64) float64 {
	eta := beta[len(beta)-1]
	for _, c := range x.row(i) {
		eta += beta[c.col] * c.val
	}
	return eta
}

func (x *design) predict(beta []float64) []float64 {
	p := make([]float64, x.rows())
	for i := range p {
		p[i] = sigmoid(x.eta(i, beta))
	}
	return p
}

// softplus is log(1+e^eta) without overflow.
func softplus(eta float64) float64 {
	if eta > 0 {
		return eta + math.Log1p(math.Exp(-eta))
	}
	return math.Log1p(math.Exp(eta))
}

// objective is the penalised negative log-likelihood; the intercept is not
// penalised.
func objective(x *design, y []bool, beta []float64, l2 float64) float64 {
	var f float64
	for i := range y {
		eta := x.eta(i, beta)
		f += softplus(eta)
		if y[i] {
			f -= eta
		}
	}
	for _, b := range beta[:len(beta)-1] {
		f += l2 / 2 * b * b
	}
	return f
}

// newton minimises the objective by Newton's method with step halving, from
// zero coefficients and the intercept at the base-rate log-odds. The L2
// penalty makes the Hessian positive definite, so every step solves by
// Cholesky. It returns the coefficients (intercept last) and the number of
// steps taken.
func newton(x *design, y []bool, width int, l2 float64, maxIter int) ([]float64, int) {
	p := width + 1
	beta := make([]float64, p)
	var won float64
	for _, w := range y {
		if w {
			won++
		}
	}
	beta[width] = math.Log(won / (float64(len(y)) - won))
	obj := objective(x, y, beta, l2)
	grad := make([]float64, p)
	hess := make([]float64, p*p)
	cand := make([]float64, p)
	iter := 0
	for iter < maxIter {
		iter++
		clear(grad)
		clear(hess)
		for i := range y {
			mu := sigmoid(x.eta(i, beta))
			r := mu
			if y[i] {
				r--
			}
			w := mu * (1 - mu)
			row := x.row(i)
			for _, a := range row {
				grad[a.col] += r * a.val
				ha := hess[int(a.col)*p:]
				wa := w * a.val
				for _, b := range row {
					ha[b.col] += wa * b.val
				}
				ha[width] += wa
			}
			grad[width] += r
			hess[width*p+width] += w
		}
		for j := 0; j < width; j++ {
			grad[j] += l2 * beta[j]
			hess[j*p+j] += l2
			hess[width*p+j] = hess[j*p+width]
		}
		step := solveCholesky(hess, grad, p)
		// Halve the step until the objective does not grow: Newton steps on
		// a logistic loss can overshoot far from the optimum.
		scale, accepted := 1.0, false
		for range 40 {
			for j := range cand {
				cand[j] = beta[j] - scale*step[j]
			}
			if f := objective(x, y, cand, l2); f <= obj {
				copy(beta, cand)
				accepted = obj-f > 1e-12*math.Max(1, math.Abs(obj))
				obj = f
				break
			}
			scale /= 2
		}
		if !accepted || maxAbs(step)*scale < 1e-9 {
			break
		}
	}
	return beta, iter
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// solveCholesky solves A z = b for a symmetric positive-definite A (n×n,
// row-major; overwritten by its factor). A pivot that rounding has made
// non-positive is floored, which only shortens that step.
func solveCholesky(a, b []float64, n int) []float64 {
	for j := 0; j < n; j++ {
		d := a[j*n+j]
		for k := 0; k < j; k++ {
			d -= a[j*n+k] * a[j*n+k]
		}
		if d < 1e-12 {
			d = 1e-12
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / d
		}
	}
	z := make([]float64, n)
	for i := 0; i < n; i++ { // L y = b
		s := b[i]
		for k := 0; k < i; k++ {
			s -= a[i*n+k] * z[k]
		}
		z[i] = s / a[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // Lᵀ z = y
		s := z[i]
		for k := i + 1; k < n; k++ {
			s -= a[k*n+i] * z[k]
		}
		z[i] = s / a[i*n+i]
	}
	return z
}
