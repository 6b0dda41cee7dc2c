"""Hostile-input harness for every public entry point of dynres_fast.

Each probe is a few lines of Python that call the library with one hostile argument (or
hostile data) and, where a cheap invariant or a reference exists, check the result. Every
probe runs in its own process, forked from a worker that has imported everything once,
under an address-space limit (``RLIMIT_AS``) and a timeout, and is classified:

- ``crash``: the process died (abort, signal, panic that escaped);
- ``hang``: it did not finish within the timeout;
- ``memory``: its peak resident memory went over the runaway threshold;
- ``wrong``: it returned a result that fails the probe's invariant or disagrees with the
  reference (including "accepted data the reference refuses");
- ``unclear``: it raised something other than ``TypeError``, a ``DynresError`` subclass
  or ``MemoryError``, or a message that does not name the hostile argument;
- ``broken``: the probe itself is wrong (its setup failed): a bug in the harness;
- ``clean``: everything else.

``python -m tests.fuzz --probes 20000`` is the long local run; ``tests/test_fuzz.py`` runs
a short deterministic selection in CI and fails on anything but ``clean``.
"""
