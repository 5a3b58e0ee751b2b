"""Reports of a run, rendered from its results directory (results.json + recordings/):

- index.html: environment, totals, the case x dialect matrix, coverage of schemas/;
- cases/<node>.html: a page per case run (failures, measurements, timeline SVG, wire log);
- ctrf.json (Common Test Report Format) and junit.xml (conformance.results);
- the `coverage` of results.json (event types seen per API, dialect and direction).

`render.write_reports(directory)` is what `realtime-conformance run`, `pytest conformance` and
`realtime-conformance report DIR` call; it reads files only, so it re-renders any past run.
"""
