# SPDX-License-Identifier: GPL-2.0
"""make bench's results as CSV and as an SVG bar chart: for each QEMU model and
direction, the C driver's packet rate beside ours, with the ratio ours/C."""

import csv

FIELDS = ("model", "driver", "side", "tx_pps", "rx_pps", "rx_two_flows_pps",
          "rx_eight_flows_pps")
DIRECTIONS = (("tx_pps", "TX"), ("rx_pps", "RX"), ("rx_two_flows_pps", "RX, two flows"),
              ("rx_eight_flows_pps", "RX, eight flows"))
COLOURS = {"c": "#9aa5b1", "ours": "#d9822b"}


def parse(lines):
    """Rows (dicts of FIELDS) from the job's 'iflib-bench-csv: ...' lines."""
    rows = []
    for line in lines:
        values = line.split(":", 1)[1].strip().split(",")
        rows.append(dict(zip(FIELDS, values + [""] * (len(FIELDS) - len(values)))))
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="", encoding="ascii") as f:
        out = csv.DictWriter(f, fieldnames=FIELDS)
        out.writeheader()
        out.writerows(rows)


def groups(rows):
    """[((model, direction), c_pps, our_pps)] per model and measured direction."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        pair = {r["side"]: r for r in rows if r["model"] == model}
        if set(pair) != {"c", "ours"}:
            continue
        for field, name in DIRECTIONS:
            c, ours = pair["c"][field], pair["ours"][field]
            if c and ours and int(c) > 0:
                out.append(((model, name), int(c), int(ours)))
    return out


def write_svg(rows, path, title):
    """Grouped bars, one group per model and direction, scaled to the fastest rate."""
    data = groups(rows)
    bar, gap, left, top, height = 28, 36, 60, 50, 220
    width = left + len(data) * (2 * bar + gap) + 20
    peak = max([max(c, o) for _, c, o in data] or [1])
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, top + height + 70),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="13">%s</text>' % (left, title),
           '<text x="%d" y="36" fill="#555">packets per second (60-byte frames); '
           'ratio ours/C above each pair</text>' % left]
    for tick in range(0, 5):
        value = peak * tick / 4
        y = top + height - height * tick / 4
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>'
                   % (left, width - 10, y, y))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%dk</text>'
                   % (left - 4, y + 4, value / 1000))
    for i, (label, c, ours) in enumerate(data):
        x = left + gap / 2 + i * (2 * bar + gap)
        for j, (side, value) in enumerate((("c", c), ("ours", ours))):
            h = height * value / peak
            svg.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"/>'
                       % (x + j * bar, top + height - h, bar - 2, h, COLOURS[side]))
        svg.append('<text x="%.1f" y="%.1f" text-anchor="middle">%.2f</text>'
                   % (x + bar, top + height - height * max(c, ours) / peak - 4, ours / c))
        for line, text in enumerate(label):
            svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                       % (x + bar, top + height + 14 + 13 * line, text))
    for j, (side, name) in enumerate((("c", "the in-tree C driver"),
                                      ("ours", "ours (iflib)"))):
        x = left + j * 200
        svg.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>'
                   % (x, top + height + 40, COLOURS[side]))
        svg.append('<text x="%d" y="%d">%s</text>' % (x + 16, top + height + 50, name))
    svg.append("</svg>")
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(svg) + "\n")
