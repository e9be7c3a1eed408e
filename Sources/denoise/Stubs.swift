import ArgumentParser
struct Eval: ParsableCommand {}
struct Bench: ParsableCommand {}
