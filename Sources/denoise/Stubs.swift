import ArgumentParser
struct Play: ParsableCommand {}
struct Sample: ParsableCommand {}
struct TrainClassifier: ParsableCommand {}
struct Eval: ParsableCommand {}
struct Bench: ParsableCommand {}
struct Info: ParsableCommand {}
struct Init: ParsableCommand {}
