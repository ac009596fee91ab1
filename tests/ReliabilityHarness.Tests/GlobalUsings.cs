global using NUnit.Framework;
global using ReliabilityHarness.Engines;
global using ReliabilityHarness.Ingest;
global using ReliabilityHarness.Payments;
global using ReliabilityHarness.Providers;
global using ReliabilityHarness.Scenarios;
