"""Gates where cards change: the pre-push hook (plain git and pre-commit) and the CI helpers.

``install`` writes and removes the plain-git hook, ``changes`` finds the model repo dirs a push or
pull request touches, ``run`` audits them and decides whether the push may go, ``git`` wraps the
read-only git commands they need.
"""
