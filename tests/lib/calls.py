#!/usr/bin/env python3
"""calls.py OBJECT...: the groups of source files whose functions call each
other, directly or round a longer circle, from the object files' symbol
tables (nm): one line, each group in parentheses, or "none".  A source
compiled into several objects (libtool's PIC and non-PIC, one per
library) counts once, by its file name.  Data references (a table of
hooks) are not calls."""
import collections
import os
import subprocess
import sys
objs=sys.argv[1:]
defs={};und=collections.defaultdict(set)
for o in objs:
    n=os.path.basename(o).split('_la-')[-1].split('-')[-1]
    for l in subprocess.run(['nm',o],capture_output=True,text=True).stdout.splitlines():
        p=l.split()
        if len(p)==3 and p[1]=='T': defs.setdefault(p[2],set()).add(n)
        elif len(p)==2 and p[0]=='U': und[n].add(p[1])
edges=collections.defaultdict(set)
for n,us in und.items():
    for u in us:
        for d in defs.get(u,()):
            if d!=n: edges[n].add(d)
idx={};low={};st=[];on=set();res=[];c=[0]
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges.get(v,()):
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: res.append(sorted(comp))
for v in list(edges):
    if v not in idx: sc(v)
print(' '.join('('+' '.join(c)+')' for c in res) or 'none')
