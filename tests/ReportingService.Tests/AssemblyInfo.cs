// The tests time real requests against one shared Postgres on a small machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
