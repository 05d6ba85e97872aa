// The test classes each start a cityos host in this process; run them one after another (with several hosts at once the
// v2 notifier's change-feed consumer of one host missed changes: see the report of issue 14).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
