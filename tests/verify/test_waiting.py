"""What the CLI does while it waits for the load-check worker (``prestart.while_waiting``).

The tasks are work the audit does after the answer anyway (compiling the shipped rules,
importing the output format); run in the wait, they leave the critical path. They run once, at
the first wait; a failing one is dropped (the same work fails again where it belongs); none runs
after the block. No timing.
"""

from __future__ import annotations

from auditor import prestart
from auditor.policy import load_policies
from auditor.policy.programs import Deferred, compile_deferred


def test_tasks_run_once_at_the_first_wait_and_never_after_the_block() -> None:
    ran: list[str] = []

    def fails() -> None:
        ran.append("fails")
        raise RuntimeError("dropped")

    with prestart.while_waiting(fails, lambda: ran.append("second")):
        assert ran == []
        prestart.waiting()
        prestart.waiting()
    assert ran == ["fails", "second"]
    with prestart.while_waiting(lambda: ran.append("late")):
        pass
    prestart.waiting()
    assert ran == ["fails", "second"]


def test_compile_deferred_leaves_no_shipped_program_to_compile() -> None:
    plans = [rule.plan for rule in load_policies(["default"]).rules if rule.plan is not None]
    programs = [
        program
        for plan in plans
        for program in (plan.when, plan.single, plan.size, plan.each, plan.select, plan.rows,
                        plan.fused)
        if isinstance(program, Deferred)
    ]
    programs += [p for plan in plans for _, p in plan.lets if isinstance(p, Deferred)]
    assert len(programs) > 100
    assert all(program._program is None for program in programs)  # freshly loaded: none yet
    compile_deferred(plans)
    assert all(program._program is not None for program in programs)
