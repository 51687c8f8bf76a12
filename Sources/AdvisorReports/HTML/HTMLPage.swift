import AdvisorModel

/// The page every HTML report shares: one self-contained file, inline CSS, no script and a
/// policy that forbids fetching anything, readable on a phone and printable.
enum HTMLPage {
    static func escape(_ s: String) -> String { SVGChart.escape(s) }

    static let style = """
        :root{color-scheme:light}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0 auto;max-width:920px;padding:16px}
        h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.15rem;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
        .verdict{font-size:1.25rem;font-weight:bold;padding:.4em .7em;border-radius:6px;display:inline-block;color:#fff;background:#0072B2}
        .verdict.good{background:#009E73}.verdict.bad{background:#D55E00}.verdict.unsure{background:#8a6d00}
        .action{border-left:5px solid #E69F00;background:#fff8e6;padding:.6em .9em;margin:1em 0}
        p,li,td,th,figcaption{overflow-wrap:anywhere}
        figure.chart{margin:1em 0}figure.chart svg{width:100%;height:auto;max-width:640px;display:block}
        figcaption{font-size:.85rem;color:#555}
        .scroll{overflow-x:auto;max-width:100%}
        table{border-collapse:collapse;font-size:.9rem;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
        th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .method{font-size:.9rem;color:#444}
        @media (max-width:600px){.scroll table,.scroll tbody,.scroll tr,.scroll td{display:block}.scroll thead{display:none}.scroll tr{border:1px solid #ddd;margin:.5em 0}.scroll td{border:0;text-align:left}.scroll td.n{white-space:normal}.scroll td::before{content:attr(data-label) ": ";font-weight:bold}}
        @media print{body{max-width:none}.verdict{color:#000;background:none;border:2px solid #000}}
        """

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <title>\(escape(title))</title>
        <style>\(style)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    /// A table of text cells; cells that are numbers (`numeric` columns) align right. Over ten
    /// rows it is folded under a summary line (a `<details>`, which needs no script), so the
    /// charts stay together on a phone, where each row reads as a small card of labelled cells
    /// (a table of five columns in 375 px breaks every word). Cells of `markup` columns are
    /// HTML already (links).
    static func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = [], markup: Set<Int> = []) -> String
    {
        var out = rows.count > 10 ? "<details><summary>The numbers (\(rows.count) rows)</summary>" : ""
        out += "<div class=\"scroll\"><table><thead><tr>"
        out += headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined()
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for (k, cell) in row.enumerated() {
                let content = markup.contains(k) ? cell : escape(cell)
                // On a phone each row is a card, each cell labelled with its column (the CSS).
                let label = k < headers.count ? " data-label=\"\(escape(headers[k]))\"" : ""
                out += "<td\(numeric.contains(k) ? " class=\"n\"" : "")\(label)>\(content)</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div>" + (rows.count > 10 ? "</details>" : "")
    }

    static func paragraph(_ s: String) -> String { "<p>\(escape(s))</p>" }
    static func heading(_ s: String) -> String { "<h2>\(escape(s))</h2>" }
    static func list(_ items: [String]) -> String {
        "<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
    }
}
