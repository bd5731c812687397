"""Activities: what a person logged, its engine result, the daily rollup and history analytics."""
