import ArgumentParser
struct Play: ParsableCommand {}
struct Eval: ParsableCommand {}
struct Bench: ParsableCommand {}
