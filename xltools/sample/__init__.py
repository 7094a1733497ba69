"""Sample rep workbooks: realistic, deterministic, and as untidy as the real ones.

``generate_inbox(folder, spec)`` writes one workbook per rep into region sub-folders of
``folder`` (the inbox), e.g. ``inbox/华南区/张伟.xlsx``, each holding every rep form as a
sheet with the schema's Chinese sheet names and headers. Every customer follows the
standard process to some stage and leaves the rows that stage leaves in each form: a needs
meeting with its decision chain, the six-module solution checklist, objections, price rounds,
the contract's approval chain, visits at the cadence of the customer's grade and one
opportunity in the pipeline. The admin's targets workbook is written beside the inbox
(``folder.parent / "销售指标.xlsx"``).

What reps really send is mimicked on purpose (``quirks``). All of it is valid: a clean sample
(``mistakes=False``) validates without errors or warnings. With ``mistakes=True`` a handful of
typical mistakes is planted (``mistakes``), each listed in ``SampleInfo.planted`` with its
file, sheet, cell and finding code.

Determinism: only ``random.Random`` seeded from ``spec.seed`` is used, never the clock;
workbooks are written by xlsxwriter with a fixed creation date, so the same spec gives
byte-identical files. Benchmark mode (``rows_per_sheet``) writes with xlsxwriter's
constant_memory and one process per core; each rep draws from its own seeded stream,
so the result does not depend on the number of processes.

``advance_week`` then plays a week of work on the files in place, the way reps would.

The modules, in the order a sample is made: ``spec`` (what to make), ``plan`` (who gets which
customers, quirks and mistakes), ``stories`` (each customer's way through the process), ``rows``
and ``deals`` (the rows a story leaves in each form), ``quirks``, ``mistakes``, ``writing``,
``assemble`` (one rep's workbook, start to finish), ``inbox`` and ``targets`` (the whole inbox),
``week`` (the week's edits); ``names``, ``phrases``, ``dates`` and ``terms`` (the schema's
words) underneath.
"""
from xltools.sample.inbox import generate_inbox
from xltools.sample.spec import BROKEN_NAME, TARGETS_NAME, SampleInfo, SampleSpec
from xltools.sample.targets import write_targets
from xltools.sample.week import advance_week

__all__ = ["BROKEN_NAME", "TARGETS_NAME", "SampleInfo", "SampleSpec", "advance_week", "generate_inbox",
           "write_targets"]
