import Sim

extension ValidateCommand {
    /// What `validate --json` prints: the table's rows and counts, in model seconds.
    struct Report: Codable {
        struct Row: Codable {
            var metric: String
            var predicted: Double?
            var measured: Double?
            /// predicted / measured, when both are known and measured > 0.
            var ratio: Double?
        }

        struct Counts: Codable {
            var vmPreparations: Int
            var applicationsCompleted: Int
            var applicationsFailed: Int
        }

        var scenario: String
        var seeds: [UInt64]
        var uri: String
        var guests: String
        var timeScale: Double
        var calibration: String?
        var rows: [Row]
        var predicted: Counts
        var measured: Counts
        var provenance: Provenance

        init(scenario: String, seeds: [UInt64], uri: String, guests: String, timeScale: Double, calibration: String?,
             predicted: Side, measured: Side, provenance: Provenance) {
            self.scenario = scenario
            self.seeds = seeds
            self.uri = uri
            self.guests = guests
            self.timeScale = timeScale
            self.calibration = calibration
            rows = ValidateCommand.rows(predicted: predicted, measured: measured).map { name, p, m in
                Row(metric: name, predicted: p, measured: m, ratio: ValidateCommand.ratio(p, m))
            }
            func counts(_ side: Side) -> Counts {
                Counts(vmPreparations: side.preparation.count, applicationsCompleted: side.completed,
                       applicationsFailed: side.failed)
            }
            self.predicted = counts(predicted)
            self.measured = counts(measured)
            self.provenance = provenance
        }
    }

    static func ratio(_ predicted: Double?, _ measured: Double?) -> Double? {
        guard let predicted, let measured, measured > 0 else { return nil }
        return predicted / measured
    }
}
