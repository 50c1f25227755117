"""The benchmark runner: starts servers, drives chat_bench, and writes bench/results/."""
