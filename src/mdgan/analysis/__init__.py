"""Analysis of MD and generated ion trajectories: arrays in, dataclasses and arrays out.

Modules: ``series`` (reading the MD tracks and the generated series), ``lags`` (lag grids, the lag
plan), ``msd`` (FFT mean squared displacement, streamed over ions), ``diffusion`` (diffusive regime,
D with its uncertainty), ``conductivity`` (Nernst-Einstein), ``displacements`` (self van Hove,
alpha2, Wasserstein distance), ``tables`` (the diffusion table, CSV writing), ``comparison``
(generated vs MD table), ``paths`` (the stretches of paths the figures draw), ``figures`` (plots),
``conditions`` (the report's table of calculation conditions).
"""
