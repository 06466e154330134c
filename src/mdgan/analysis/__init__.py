"""Analysis of MD and generated ion trajectories: arrays in, dataclasses and arrays out.

Modules: ``series`` (reading the MD tracks and the generated series), ``lags`` (lag grids, the lag
plan, lag regions), ``msd`` (FFT mean squared displacement, streamed over ions, isotropic and per
axis), ``axes`` (the per-axis frame and its names from the cell), ``uncertainty`` (jackknife errors
over independent groups), ``diffusion`` (diffusive regime, D with its uncertainty),
``diffusion_fits`` (common and own fit ranges, per axis), ``conductivity`` (Nernst-Einstein),
``displacements`` (self van Hove, alpha2, Wasserstein distance), ``tables`` (the diffusion table,
CSV writing), ``comparison`` (generated vs MD table), ``paths`` (the stretches of paths the figures
draw), ``figures`` (plots), ``conditions`` (the report's table of calculation conditions),
``arrhenius`` (D(T) of a temperature series, Arrhenius fit and extrapolation) and ``arrhenius_figure``.
"""
