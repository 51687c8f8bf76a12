import AdvisorModel

/// Charts as inline SVG, written by hand: no charting library renders without JavaScript or a
/// network, and the reports must open offline with neither. One small module, so scales, ticks
/// and number formatting are written (and tested) once. Every chart carries a `<title>` and a
/// `<desc>` for screen readers; the page shows the same numbers in a table beside it.
public enum SVGChart {
    /// Okabe & Ito's colour-blind-safe palette: blue, orange, bluish green, vermillion, purple.
    static let blue = "#0072B2"
    static let orange = "#E69F00"
    static let green = "#009E73"
    static let vermillion = "#D55E00"
    static let grey = "#767676"

    static let width = 640.0

    /// domain → range, linearly; a zero-width domain maps to the range's middle.
    struct LinearScale {
        var domain: (Double, Double)
        var range: (Double, Double)

        func callAsFunction(_ x: Double) -> Double {
            let span = domain.1 - domain.0
            guard span != 0, span.isFinite else { return (range.0 + range.1) / 2 }
            return range.0 + (x - domain.0) / span * (range.1 - range.0)
        }
    }

    /// About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering lo…hi. Empty when
    /// no round step fits (a span that overflows, or one below the smallest normal number): an
    /// input's extreme numbers must cost an axis its ticks, never a loop without end.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(count, 1))
        guard raw.isNormal else { return [] }
        let magnitude = powerOfTen(below: raw)
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        guard step.isNormal, (lo / step).isFinite else { return [] }
        var values: [Double] = []
        var v = (lo / step).rounded(.up) * step
        // A step too small to move v (v + step == v) would repeat forever; a few dozen is plenty.
        while v <= hi + step * 1e-9, values.count <= 4 * max(count, 1) + 4 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return values
    }

    /// The largest power of ten at most x (x > 0), by steps, so the module needs no libm. For a
    /// non-finite or non-positive x, 1 (the loops would not end on infinity).
    static func powerOfTen(below x: Double) -> Double {
        guard x.isFinite, x > 0 else { return 1 }
        var m = 1.0
        while m > x, m > 0 { m /= 10 }
        while m * 10 <= x { m *= 10 }
        return m
    }

    /// lo…hi widened to include `values` and padded by 5% each side (a flat range by ±1 or ±10%).
    static func extent(_ values: [Double]) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        guard var lo = finite.min(), var hi = finite.max() else { return (0, 1) }
        if hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            return (lo - pad, hi + pad)
        }
        let pad = (hi - lo) * 0.05
        lo -= pad
        hi += pad
        return (lo, hi)
    }

    static func format(_ x: Double) -> String { NumberText.significant(x) }

    /// XML text: the five characters that break markup. Works on the UTF-8 bytes (each of the
    /// five is one ASCII byte, never part of a longer character), and returns most cells, which
    /// hold none of them, as they are: a page escapes every cell and label it shows.
    static func escape(_ s: String) -> String {
        let special: (UInt8) -> Bool = { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }
        guard s.utf8.contains(where: special) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 16)
        for byte in s.utf8 {
            switch byte {
            case 0x26: out += Array("&amp;".utf8)
            case 0x3C: out += Array("&lt;".utf8)
            case 0x3E: out += Array("&gt;".utf8)
            case 0x22: out += Array("&quot;".utf8)
            case 0x27: out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A coordinate with one decimal. Charts are drawn from a report's numbers, which an input
    /// can make infinite, NaN or 1e308: such a coordinate is clamped to ±`coordinateLimit` (far
    /// outside any viewBox, so the mark is simply off the chart) and NaN drawn at 0, because
    /// `Int(_:)` traps on them and the daemon renders the index from stored decisions.
    static func number(_ x: Double) -> String {
        let clamped = x.isNaN ? 0 : min(max(x, -coordinateLimit), coordinateLimit)
        let rounded = (clamped * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// The largest coordinate written: a million viewBox units, beyond every chart's edge.
    static let coordinateLimit = 1e6

    /// The frame every chart shares: the element, its title and description, and a caption.
    static func frame(title: String, desc: String, height: Double, body: String) -> String {
        // A stable id from the title (FNV-1a): the same report renders to the same bytes.
        var hash: UInt32 = 0x811C_9DC5
        for byte in title.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let id = "c" + String(hash, radix: 36)
        return """
            <figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(number(width)) \(number(height))" role="img" aria-labelledby="\(id)t \(id)d"><title id="\(id)t">\(escape(title))</title><desc id="\(id)d">\(escape(desc))</desc>\(body)</svg><figcaption>\(escape(title))</figcaption></figure>
            """
    }

    static func text(
        _ x: Double,
        _ y: Double,
        _ s: String,
        anchor: String = "start",
        size: Double = 12,
        weight: String = "normal",
        fill: String = "#222",
        vertical: Bool = false
    ) -> String {
        let turn = vertical ? " transform=\"rotate(-90 \(number(x)) \(number(y)))\"" : ""
        return
            "<text x=\"\(number(x))\" y=\"\(number(y))\"\(turn) text-anchor=\"\(anchor)\" font-size=\"\(number(size))\" font-weight=\"\(weight)\" fill=\"\(fill)\">\(escape(s))</text>"
    }

    static func line(
        _ x1: Double,
        _ y1: Double,
        _ x2: Double,
        _ y2: Double,
        stroke: String,
        width: Double = 1,
        dash: Bool = false
    )
        -> String
    {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(number(width))\"\(dash ? " stroke-dasharray=\"4 3\"" : "")/>"
    }

    /// A horizontal value axis at `y` with its ticks and label.
    static func xAxis(_ scale: LinearScale, y: Double, label: String, labelOffset: Double = 32) -> String {
        var out = line(scale.range.0, y, scale.range.1, y, stroke: grey)
        for t in ticks(scale.domain.0, scale.domain.1) {
            let x = scale(t)
            out += line(x, y, x, y + 4, stroke: grey)
            out += text(x, y + 16, format(t), anchor: "middle", size: 11)
        }
        out += text((scale.range.0 + scale.range.1) / 2, y + labelOffset, label, anchor: "middle", size: 12)
        return out
    }

    /// A label cut to `limit` characters (the full text stays in the table).
    static func short(_ s: String, _ limit: Int = 26) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }

    /// A reference line across a row chart (zero, a threshold), labelled at the top.
    public struct Reference: Sendable {
        public var value: Double
        public var label: String
        public init(value: Double, label: String) {
            self.value = value
            self.label = label
        }
    }

    /// Dashed vertical lines for the references, their labels stacked one above the other so
    /// that two close values (zero and a small threshold) stay readable.
    static func referenceLines(_ references: [Reference], scale: LinearScale, top: Double, bottom: Double) -> String {
        var out = ""
        for (k, r) in references.enumerated() {
            let x = scale(r.value)
            let y = top - 12 - 12 * Double(references.count - 1 - k)
            out += line(x, y + 4, x, bottom, stroke: grey, dash: true)
            out += text(x, y, r.label, anchor: "middle", size: 11, fill: "#444")
        }
        return out
    }

    /// One row of a forest plot: a point with its interval.
    public struct IntervalRow: Sendable {
        public var label: String
        public var value: Double
        public var lower: Double
        public var upper: Double
        public var highlight: Bool
        public init(label: String, value: Double, lower: Double, upper: Double, highlight: Bool = false) {
            self.label = label
            self.value = value
            self.lower = lower
            self.upper = upper
            self.highlight = highlight
        }
    }

    /// Points with intervals, one row each (a forest plot), with reference lines.
    public static func intervals(
        title: String,
        desc: String,
        axis: String,
        rows: [IntervalRow],
        references: [Reference] = []
    ) -> String {
        let rowHeight = 26.0
        let top = 30.0 + 12 * Double(max(references.count - 1, 0))
        let height = top + rowHeight * Double(rows.count) + 44
        let (lo, hi) = extent(rows.flatMap { [$0.lower, $0.upper, $0.value] } + references.map(\.value))
        let scale = LinearScale(domain: (lo, hi), range: (190, width - 20))
        var body = ""
        body += referenceLines(references, scale: scale, top: top, bottom: top + rowHeight * Double(rows.count))
        for (k, row) in rows.enumerated() {
            let y = top + rowHeight * (Double(k) + 0.5)
            let colour = row.highlight ? vermillion : blue
            body += text(
                182,
                y + 4,
                short(row.label),
                anchor: "end",
                size: 12,
                weight: row.highlight ? "bold" : "normal"
            )
            body += line(scale(row.lower), y, scale(row.upper), y, stroke: colour, width: 2)
            body +=
                "<circle cx=\"\(number(scale(row.value)))\" cy=\"\(number(y))\" r=\"5\" fill=\"\(colour)\"><title>\(escape("\(row.label): \(format(row.value)) (\(format(row.lower)) to \(format(row.upper)))"))</title></circle>"
        }
        body += xAxis(scale, y: top + rowHeight * Double(rows.count) + 4, label: axis)
        return frame(title: title, desc: desc, height: height, body: body)
    }

    /// Horizontal bars from zero, one row each.
    public static func bars(
        title: String,
        desc: String,
        axis: String,
        rows: [(label: String, value: Double, highlight: Bool)]
    ) -> String {
        let rowHeight = 22.0
        let top = 12.0
        let height = top + rowHeight * Double(rows.count) + 44
        let (lo, hi) = extent(rows.map(\.value) + [0])
        let scale = LinearScale(domain: (min(lo, 0), hi), range: (190, width - 20))
        var body = ""
        for (k, row) in rows.enumerated() {
            let y = top + rowHeight * Double(k)
            let x0 = scale(0)
            let x1 = scale(row.value)
            body += text(
                182,
                y + 15,
                short(row.label),
                anchor: "end",
                size: 12,
                weight: row.highlight ? "bold" : "normal"
            )
            body +=
                "<rect x=\"\(number(min(x0, x1)))\" y=\"\(number(y + 3))\" width=\"\(number(max(abs(x1 - x0), 1)))\" height=\"\(number(rowHeight - 6))\" fill=\"\(row.highlight ? vermillion : blue)\"><title>\(escape("\(row.label): \(format(row.value))"))</title></rect>"
        }
        body += xAxis(scale, y: top + rowHeight * Double(rows.count) + 4, label: axis)
        return frame(title: title, desc: desc, height: height, body: body)
    }

    /// Before → after per row: a hollow point for before, a filled one for after, joined.
    public static func beforeAfter(
        title: String,
        desc: String,
        axis: String,
        rows: [(label: String, before: Double, after: Double)],
        references: [Reference] = []
    ) -> String {
        let rowHeight = 26.0
        let top = 30.0 + 12 * Double(max(references.count - 1, 0))
        let height = top + rowHeight * Double(rows.count) + 44
        let (lo, hi) = extent(rows.flatMap { [$0.before, $0.after] } + references.map(\.value))
        let scale = LinearScale(domain: (lo, hi), range: (190, width - 20))
        var body = ""
        body += referenceLines(references, scale: scale, top: top, bottom: top + rowHeight * Double(rows.count))
        for (k, row) in rows.enumerated() {
            let y = top + rowHeight * (Double(k) + 0.5)
            let colour = row.after >= row.before ? green : vermillion
            body += text(182, y + 4, short(row.label), anchor: "end", size: 12)
            body += line(scale(row.before), y, scale(row.after), y, stroke: colour, width: 2)
            body +=
                "<circle cx=\"\(number(scale(row.before)))\" cy=\"\(number(y))\" r=\"4\" fill=\"white\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            body +=
                "<circle cx=\"\(number(scale(row.after)))\" cy=\"\(number(y))\" r=\"5\" fill=\"\(colour)\"><title>\(escape("\(row.label): \(format(row.before)) → \(format(row.after))"))</title></circle>"
        }
        body += xAxis(scale, y: top + rowHeight * Double(rows.count) + 4, label: axis)
        return frame(title: title, desc: desc, height: height, body: body)
    }

    /// A series of (x, y) points as a line.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// Vertical marker lines with their labels, each label beside its line (before it when it
    /// would pass `right`) and moved down a row when it would cover an earlier one: "proposed (4)"
    /// and "best (7)" on a wide axis sit a few pixels apart.
    static func markerLines(
        _ markers: [Reference],
        _ sx: LinearScale,
        top: Double,
        bottom: Double,
        right: Double
    ) -> String {
        var body = ""
        var placed: [(row: Int, from: Double, to: Double)] = []
        for m in markers {
            let x = sx(m.value)
            body += line(x, top, x, bottom, stroke: grey, dash: true)
            // About 6.2 px a character at 11 px, a little over what the page's sans-serif takes.
            let labelWidth = 6.2 * Double(m.label.count)
            let before = x + 3 + labelWidth > right
            let from = before ? x - 3 - labelWidth : x + 3
            let to = from + labelWidth
            var row = 0
            while placed.contains(where: { $0.row == row && $0.from < to + 4 && from < $0.to + 4 }) { row += 1 }
            placed.append((row, from, to))
            body += text(
                before ? x - 3 : x + 3,
                top + 10 + 13 * Double(row),
                m.label,
                anchor: before ? "end" : "start",
                size: 11,
                fill: "#444"
            )
        }
        return body
    }

    /// Lines over a shared x axis, with vertical markers (the proposal, the best) and a legend.
    public static func lines(
        title: String,
        desc: String,
        xAxis xLabel: String,
        yAxis yLabel: String,
        series: [Series],
        markers: [Reference] = [],
        horizontal: [Reference] = [],
        height: Double = 260
    ) -> String {
        let colours = [blue, orange, green, vermillion]
        let left = 64.0
        let top = 24.0
        let bottom = height - 48
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.value)
        let ys = series.flatMap { $0.points.map(\.y) } + horizontal.map(\.value)
        let (x0, x1) = extent(xs)
        let (y0, y1) = extent(ys)
        let sx = LinearScale(domain: (x0, x1), range: (left, width - 16))
        let sy = LinearScale(domain: (y0, y1), range: (bottom, top))
        var body = ""
        for t in ticks(y0, y1, count: 4) {
            body += line(left, sy(t), width - 16, sy(t), stroke: "#e4e4e4")
            body += text(left - 6, sy(t) + 4, format(t), anchor: "end", size: 11)
        }
        body += text(14, (top + bottom) / 2, yLabel, anchor: "middle", size: 12, vertical: true)
        for h in horizontal {
            body += line(left, sy(h.value), width - 16, sy(h.value), stroke: grey, dash: true)
            body += text(width - 18, sy(h.value) - 4, h.label, anchor: "end", size: 11, fill: "#444")
        }
        body += markerLines(markers, sx, top: top, bottom: bottom, right: width - 16)
        for (k, s) in series.enumerated() {
            let colour = colours[k % colours.count]
            let path = s.points.map { "\(number(sx($0.x))),\(number(sy($0.y)))" }.joined(separator: " ")
            body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            for p in s.points {
                body +=
                    "<circle cx=\"\(number(sx(p.x)))\" cy=\"\(number(sy(p.y)))\" r=\"3\" fill=\"\(colour)\"><title>\(escape("\(s.name): \(format(p.x)) → \(format(p.y))"))</title></circle>"
            }
            if series.count > 1 {
                body +=
                    "<rect x=\"\(number(left + 8 + Double(k) * 150))\" y=\"\(number(height - 14))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
                body += text(left + 22 + Double(k) * 150, height - 5, short(s.name, 20), size: 11)
            }
        }
        body += xAxis(sx, y: bottom, label: xLabel, labelOffset: 30)
        return frame(title: title, desc: desc, height: height, body: body)
    }

    /// Counts per bin as columns, with vertical markers (the threshold).
    public static func histogram(
        title: String,
        desc: String,
        axis: String,
        bins: [(lower: Double, upper: Double, count: Int)],
        markers: [Reference] = []
    ) -> String {
        let height = 240.0
        let left = 48.0
        let top = 24.0
        let bottom = height - 48
        let (x0, x1) = extent(bins.flatMap { [$0.lower, $0.upper] } + markers.map(\.value))
        let sx = LinearScale(domain: (x0, x1), range: (left, width - 16))
        let most = Double(bins.map(\.count).max() ?? 1)
        let sy = LinearScale(domain: (0, max(most, 1)), range: (bottom, top))
        var body = ""
        for t in ticks(0, max(most, 1), count: 4) {
            body += line(left, sy(t), width - 16, sy(t), stroke: "#e4e4e4")
            body += text(left - 6, sy(t) + 4, format(t), anchor: "end", size: 11)
        }
        for b in bins {
            let x = sx(b.lower)
            let w = max(sx(b.upper) - x - 1, 1)
            body +=
                "<rect x=\"\(number(x))\" y=\"\(number(sy(Double(b.count))))\" width=\"\(number(w))\" height=\"\(number(bottom - sy(Double(b.count))))\" fill=\"\(blue)\"><title>\(escape("\(format(b.lower)) to \(format(b.upper)): \(b.count)"))</title></rect>"
        }
        for m in markers {
            body += line(sx(m.value), top - 6, sx(m.value), bottom, stroke: vermillion, width: 2, dash: true)
            body += text(sx(m.value) + 4, top + 4, m.label, size: 11, fill: vermillion)
        }
        body += xAxis(sx, y: bottom, label: axis)
        return frame(title: title, desc: desc, height: height, body: body)
    }
}
