/** @fileoverview Small API-format prompts the integration tests queue, written once. */

/** EmptyImage(#1, 64×48) → ImageBlur(#2) → SaveImage(#3, `prefix`): nodes every simulator knows. */
export function blurPrompt(prefix: string) {
  return {
    '1': {
      inputs: { width: 64, height: 48, batch_size: 1, color: 255 },
      class_type: 'EmptyImage',
      _meta: { title: 'EmptyImage' },
    },
    '2': {
      inputs: { image: ['1', 0], blur_radius: 2, sigma: 1 },
      class_type: 'ImageBlur',
      _meta: { title: 'Image Blur' },
    },
    '3': {
      inputs: { filename_prefix: prefix, images: ['2', 0] },
      class_type: 'SaveImage',
      _meta: { title: 'Save Image' },
    },
  };
}
