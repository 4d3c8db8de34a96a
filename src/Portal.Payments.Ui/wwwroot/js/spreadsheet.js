// Keyboard navigation for the open-invoices spreadsheet view (role="grid"): one cell is tabbable
// (roving tabindex); arrows, Home/End (Ctrl for first/last row), PageUp/PageDown move between cells.
// Rows are virtualised, so a target row that is not rendered yet is scrolled into view first.
const keys = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);

function cellAt(table, r, c) {
    return table.querySelector(`[data-r="${r}"][data-c="${c}"]`);
}

function activate(table, cell) {
    table.querySelectorAll('[tabindex="0"]').forEach(e => { if (e !== cell) e.setAttribute("tabindex", "-1"); });
    cell.setAttribute("tabindex", "0");
    cell.focus({ preventScroll: false });
    cell.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function rowsPerPage(scroller, cell) {
    const h = cell.getBoundingClientRect().height || 28;
    return Math.max(1, Math.floor(scroller.clientHeight / h) - 1);
}

function focusRow(table, scroller, r, c, attempt) {
    const cell = cellAt(table, r, c);
    if (cell) {
        activate(table, cell);
        return;
    }
    if (attempt > 20) {
        return;
    }
    // Not rendered: scroll towards it (about one row height per row) and try again after the next render.
    const sample = table.querySelector('[data-r="1"], tbody [data-r]');
    const h = sample ? sample.getBoundingClientRect().height || 28 : 28;
    scroller.scrollTop = Math.max(0, (r - 1) * h - scroller.clientHeight / 2);
    setTimeout(() => focusRow(table, scroller, r, c, attempt + 1), 50);
}

export function attach(table, scroller) {
    const onKey = e => {
        if (!keys.has(e.key)) {
            return;
        }
        const current = e.target.closest("[data-r]");
        if (!current || !table.contains(current)) {
            return;
        }
        e.preventDefault();
        const lastRow = parseInt(table.getAttribute("aria-rowcount"), 10) - 1;
        const lastCol = parseInt(table.getAttribute("aria-colcount"), 10) - 1;
        let r = parseInt(current.dataset.r, 10);
        let c = parseInt(current.dataset.c, 10);
        const page = rowsPerPage(scroller, current);
        switch (e.key) {
            case "ArrowUp": r -= 1; break;
            case "ArrowDown": r += 1; break;
            case "ArrowLeft": c -= 1; break;
            case "ArrowRight": c += 1; break;
            case "Home": c = 0; if (e.ctrlKey) { r = 0; } break;
            case "End": c = lastCol; if (e.ctrlKey) { r = lastRow; } break;
            case "PageUp": r -= page; break;
            case "PageDown": r += page; break;
        }
        r = Math.min(Math.max(r, 0), lastRow);
        c = Math.min(Math.max(c, 0), lastCol);
        focusRow(table, scroller, r, c, 0);
    };
    const onFocus = e => {
        const cell = e.target.closest("[data-r]");
        if (cell && table.contains(cell)) {
            table.querySelectorAll('[tabindex="0"]').forEach(x => { if (x !== cell) x.setAttribute("tabindex", "-1"); });
            cell.setAttribute("tabindex", "0");
        }
    };
    table.addEventListener("keydown", onKey);
    table.addEventListener("focusin", onFocus);
    return {
        detach() {
            table.removeEventListener("keydown", onKey);
            table.removeEventListener("focusin", onFocus);
        },
    };
}
