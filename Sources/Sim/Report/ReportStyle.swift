/// The report's only style sheet, inline: system fonts, print-friendly, no external resource.
enum ReportStyle {
    static let css = """
    body{font-family:"DejaVu Sans","Helvetica Neue",Arial,sans-serif;color:#222;margin:24px auto;max-width:1120px;
    padding:0 16px;font-size:14px;line-height:1.4;background:#fff}
    h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ccc;padding-bottom:3px}
    h3{font-size:15px;margin:18px 0 6px}code{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px;
    background:#f3f3f3;padding:0 3px;border-radius:2px}
    .meta,.note{color:#444;font-size:13px}.axes{margin:4px 0 0 0;padding-left:20px;font-size:13px}
    .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12.5px;margin-top:6px}
    th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:bottom}
    th{background:#f5f5f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    td.best{font-weight:700;background:#e3f1e6}.unit{font-weight:400;color:#666;font-size:11px}
    .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(335px,1fr));gap:6px 10px}
    figure{margin:0}.legend{font-size:12.5px;margin:4px 0}.key{white-space:nowrap;margin-right:12px}
    .key svg{vertical-align:middle}
    svg text{font-family:"DejaVu Sans","Helvetica Neue",Arial,sans-serif;fill:#222}
    svg .title{font-size:12px;font-weight:600}svg .axisnote{font-size:9px;fill:#666}svg .ytick{font-size:10px;text-anchor:end;dominant-baseline:middle}
    svg .xtick{font-size:10px;text-anchor:middle}svg .xlabel,svg .ylabel{font-size:10.5px;text-anchor:middle;fill:#444}
    svg .rowlabel{font-size:10px;text-anchor:end}svg .grid{stroke:#e6e6e6;stroke-width:1}
    svg .axis{stroke:#444;stroke-width:1}svg .frame{fill:none;stroke:#999;stroke-width:0.8}
    svg .row{fill:#fafafa;stroke:#ddd;stroke-width:0.5}
    footer{margin-top:28px;border-top:1px solid #ccc}
    @media print{body{margin:0;max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}
    """
}
