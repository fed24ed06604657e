"""`make bench`: each module in this package with a `main()` prints its own figures."""
