import ArgumentParser
struct Play: ParsableCommand {}
struct TrainClassifier: ParsableCommand {}
struct Eval: ParsableCommand {}
struct Bench: ParsableCommand {}
