// datasette-cluster-map writes its progress in English ("Showing 1,000 of 9,508 (10.52%)", "load all",
// "pause"); this puts the Thai first, as the rest of the page, without changing the plugin's script.
(function () {
  const WORDS = { "load all": "โหลดทั้งหมด / load all", "pause": "หยุด / pause" };
  function translate(node) {
    if (node.nodeType !== 1) return;
    node.querySelectorAll("button.cluster-map-button").forEach(function (button) {
      if (WORDS[button.textContent]) button.textContent = WORDS[button.textContent];
    });
    const first = node.firstChild;
    const match = first && first.nodeType === 3 && /^Showing ([\d,.]+) of ([\d,.]+)(.*)$/.exec(first.textContent);
    if (match) first.textContent = "แสดง " + match[1] + " จาก " + match[2] + match[3].trimEnd() +
      " จุด / Showing " + match[1] + " of " + match[2] + " ";
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      translate(change.target.nodeType === 1 ? change.target : change.target.parentNode);
    });
  }).observe(document.body || document.documentElement, { childList: true, subtree: true, characterData: true });
})();
