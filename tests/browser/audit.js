// Runs in the page (tests/browser/test_accessibility.py): every visible text's contrast against the background
// it sits on (WCAG AA: 4.5, or 3 for large text), and every visible control without an accessible name.
() => {
    const rgba = (value) => {
        const parts = value.match(/[\d.]+/g).map(Number);
        return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
    };
    const luminance = ({ r, g, b }) => {
        const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (element) => {
        for (let node = element; node; node = node.parentElement) {
            const colour = rgba(getComputedStyle(node).backgroundColor);
            if (colour.a > 0) return colour;
        }
        return rgba(getComputedStyle(document.documentElement).backgroundColor);
    };
    const visible = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
    const lowContrast = [];
    for (const element of document.body.querySelectorAll("*")) {
        const ownText = [...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        if (!ownText || !visible(element) || element.closest("[disabled], template, .skip-link")) continue;
        const style = getComputedStyle(element);
        const [fg, bg] = [luminance(rgba(style.color)), luminance(background(element))];
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? 3 : 4.5)) {
            lowContrast.push(`${element.tagName}.${element.className} "${element.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
        }
    }
    const unlabelled = [...document.querySelectorAll("input, select, textarea, button")]
        .filter((control) => visible(control))
        .filter((control) => {
            if (control.tagName === "BUTTON") return !(control.textContent.trim() || control.getAttribute("aria-label"));
            return control.labels.length === 0 && !control.getAttribute("aria-label") && !control.getAttribute("aria-labelledby");
        })
        .map((control) => control.outerHTML.slice(0, 80));
    return { lowContrast, unlabelled };
}
