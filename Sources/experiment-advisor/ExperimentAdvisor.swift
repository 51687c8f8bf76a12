import ArgumentParser

@main
struct ExperimentAdvisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "experiment-advisor")
}
