#!/usr/bin/env python3
"""Summarise nextpnr logs/reports in build/ into a markdown table (results.md)."""
import json, re, sys, statistics, os
B = 'build'
designs = sys.argv[1:] or 'a b1 b2 c d an b1n b2n cn dn b2nd dn98 cn98 cn1 cn1_98'.split()

def util(log, name):
    m = re.search(r'^Info:\s+%s:\s+(\d+)/\s*(\d+)\s+(\d+)%%' % name, log, re.M)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, 0, 0)

def path_summary(rep):
    d = json.load(open(rep))
    cp = [p for p in d['critical_paths'] if p['from'] != '<async>' and p['to'] != '<async>'][0]
    logic = rout = 0.0; luts = 0; carries = 0
    segs = cp['path']
    for s in segs:
        t = s['type']
        if t == 'routing':
            rout += s['delay']
        else:
            logic += s['delay']
        if t == 'logic':
            if s['to']['port'] == 'COUT':
                carries += 1
            elif s['to']['port'] == 'O' and re.match(r'I\d', s['from']['port']):
                luts += 1
    end = segs[-1]['to']; start = segs[0]['from']
    # LC endpoint entered on I0..I3: the LUT in front of the FF is one more level,
    # unless nextpnr made it a FF-only LC (pass-through LUT, cell name ends in DFFLC)
    if re.match(r'I\d$', end['port']) and not end['cell'].endswith('DFFLC'):
        luts += 1
    ep = end['port']
    if re.match(r'I\d$', ep): ep = 'LC-FF'
    return logic, rout, luts, carries, start['cell'], end['cell'], ep

rows = []
detail = []
for D in designs:
    top = 'top_' + D
    fm = []; info = None
    for s in (1, 2, 3):
        rep = f'{B}/{top}_rep_{s}.json'; lg = f'{B}/{top}_{s}.log'
        if not os.path.exists(rep):
            fm.append(None); continue
        r = json.load(open(rep))
        fm.append(list(r['fmax'].values())[0]['achieved'])
        log = open(lg).read()
        ps = path_summary(rep)
        detail.append((D, s, fm[-1], ps))
        if info is None:
            info = (util(log, 'ICESTORM_LC'), util(log, 'ICESTORM_RAM'), util(log, 'ICESTORM_SPRAM'), util(log, 'ICESTORM_DSP'))
    good = [f for f in fm if f is not None]
    med = statistics.median(good) if good else float('nan')
    # worst path = path of the median seed
    srt = sorted([x for x in detail if x[0] == D], key=lambda x: x[2])
    mid = srt[len(srt) // 2] if srt else None
    lc, ram, sp, dsp = info
    fms = ' / '.join('%.1f' % f if f else '-' for f in fm)
    if mid:
        l, rt, nl, nc, st, en, ep = mid[3]
        wp = f'seed {mid[1]}: {nl} LUT{"+%d carry" % nc if nc else ""}, {l:.1f} ns logic + {rt:.1f} ns routing -> {ep}'
    else:
        wp = '-'
    rows.append(f'| {D} | {lc[0]}/{lc[1]} ({lc[2]}%) | {ram[0]} | {sp[0]} | {fms} | {med:.1f} | {wp} |')

print('| design | LCs | BRAM | SPRAM | Fmax MHz s1 / s2 / s3 | median | worst path (median seed) |')
print('|---|---|---|---|---|---|---|')
print('\n'.join(rows))
print()
print('Per-seed critical path detail (start cell -> end cell / endpoint port):')
print()
print('| design | seed | Fmax | LUT lvls | carry | logic ns | routing ns | start | end | end port |')
print('|---|---|---|---|---|---|---|---|---|---|')
for D, s, f, (l, rt, nl, nc, st, en, ep) in detail:
    print(f'| {D} | {s} | {f:.2f} | {nl} | {nc} | {l:.2f} | {rt:.2f} | `{st}` | `{en}` | {ep} |')
