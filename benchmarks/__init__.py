"""Benchmarks of the approvals facade beside raw PynamoDB and raw boto3 (``nox -s bench``).

Never part of the test suite: nothing here asserts a timing. ``python -m benchmarks.run`` measures

1. round trips per store operation (:mod:`benchmarks.roundtrips`),
2. client CPU per operation with canned HTTP responses (:mod:`benchmarks.overhead`),
3. bulk import/export throughput (:mod:`benchmarks.bulk`) and export memory
   (:mod:`benchmarks.memory`),
4. throughput against scan segments / writer threads (:mod:`benchmarks.scaling`),

prints a table and writes ``benchmarks/results/latest.json`` and the charts beside it.
"""
