"""realtime-conformance's one import namespace.

The repository keeps its packages as top-level folders (rtproto/, mockserver/, refclient/,
conformance/, schemas/, fixtures/); this package holds a relative symlink to each, so they are
imported as `realtime_conformance.<name>` in the checkout and installed under this one name by
the wheel (setuptools follows the links), leaving nothing generic in site-packages' top level.
"""
