"""Analysis of simulation output: queueing-theory formulas and confidence intervals.

:mod:`simcare.analysis.queueing` holds closed-form and numerically exact results (Erlang B and C,
M/M/c, Pollaczek-Khinchine, open Jackson networks, the time-varying infinite-server queue) that
the statistical tests compare the engines with; :mod:`simcare.analysis.confidence` builds the
confidence intervals those comparisons use.
"""
