#!/usr/bin/python3
"""Inspect (and poke) a running GTK application over AT-SPI.

    atspi.py dump APP              print the accessible tree of APP
    atspi.py do APP ROLE NAME [WINDOW]
                                   invoke the first action of the first
                                   node with that role and name that has one
                                   (inside the toplevel titled WINDOW if given)
    atspi.py text APP ROLE NAME WINDOW
                                   print the text of the first node with that
                                   role and name in the toplevel titled WINDOW

The dump has one node per line: depth, role, name, states, x, y, w, h,
separated by tabs. Exit status 3 means the application is not (yet) on the
accessibility bus.
"""
import sys

import pyatspi


def find_app(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == name:
            return app
    return None


def walk(node, depth=0):
    yield depth, node
    if depth > 60:
        return
    try:
        count = node.childCount
    except Exception:  # the node went away while we walked
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            yield from walk(child, depth + 1)


def describe(depth, node):
    states = node.getState()
    names = sorted(pyatspi.stateToString(s) for s in states.getStates())
    try:
        ext = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        box = (ext.x, ext.y, ext.width, ext.height)
    except NotImplementedError:
        box = (0, 0, 0, 0)
    clean = (node.name or "").replace("\t", " ").replace("\n", "\\n")
    return "\t".join([str(depth), node.getRoleName(), clean, ",".join(names)] + [str(v) for v in box])


def main():
    cmd, app_name = sys.argv[1], sys.argv[2]
    app = find_app(app_name)
    if app is None:
        sys.exit(3)
    if cmd == "dump":
        for depth, node in walk(app):
            try:
                line = describe(depth, node)
            except Exception:  # gone while we walked: leave it out
                continue
            print(line)
    elif cmd == "do":
        role, name = sys.argv[3], sys.argv[4]
        root = app
        if len(sys.argv) > 5:
            root = next((app.getChildAtIndex(i) for i in range(app.childCount)
                         if app.getChildAtIndex(i) is not None
                         and app.getChildAtIndex(i).name == sys.argv[5]), None)
            if root is None:
                print("no window %r" % sys.argv[5], file=sys.stderr)
                sys.exit(4)
        # Nodes on screen first: a closed menu of another row can hold an
        # item of the same name.
        matches = [node for _, node in walk(root)
                   if node.getRoleName() == role and node.name == name]
        def showing(node):
            try:
                return node.getState().contains(pyatspi.STATE_SHOWING)
            except Exception:
                return False
        for node in sorted(matches, key=lambda n: not showing(n)):
            try:
                action = node.queryAction()
            except NotImplementedError:
                continue
            if action.nActions > 0:
                action.doAction(0)
                print("done")
                return
        print("not found: %s %r" % (role, name), file=sys.stderr)
        sys.exit(4)
    elif cmd == "text":
        role, name, window = sys.argv[3], sys.argv[4], sys.argv[5]
        for i in range(app.childCount):
            top = app.getChildAtIndex(i)
            if top is None or top.name != window:
                continue
            for _, node in walk(top):
                if node.getRoleName() == role and node.name == name:
                    text = node.queryText()
                    print(text.getText(0, text.characterCount))
                    return
        print("not found: %s %r" % (role, name), file=sys.stderr)
        sys.exit(4)
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
