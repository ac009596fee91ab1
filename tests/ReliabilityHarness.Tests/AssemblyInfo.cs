// Fixtures run side by side: every test works in a database of its own (a temp file, a schema), so no test
// sees another's rows. Fixtures that must not overlap say so with [NonParallelizable] and why.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(2)]
