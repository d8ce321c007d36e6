# SPDX-License-Identifier: GPL-2.0
"""Sphinx configuration of mmrace's documentation (`make htmldocs`).

The kernel-doc directive is the kernel's own extension
(Documentation/sphinx/kerneldoc.py of the Debian linux-source tree that
scripts/ksrc unpacks, named by the srctree environment variable, as the
kernel's own `make htmldocs` names it); the files it reads are this
repository's.
"""
import os
import sys

srctree = os.environ.get('srctree')
if not srctree or not os.path.isdir(os.path.join(srctree, 'Documentation', 'sphinx')):
    raise RuntimeError('srctree must name a kernel source tree with '
                       'Documentation/sphinx (make htmldocs takes '
                       'linux-source-7.3 from scripts/ksrc: run make setup)')
sys.path.insert(0, os.path.join(srctree, 'Documentation', 'sphinx'))

project = 'mmrace'
author = 'mmrace developers'
copyright = 'mmrace developers'
extensions = ['kerneldoc']
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
